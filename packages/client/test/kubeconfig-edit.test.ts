import { describe, expect, it } from 'vitest';
import {
  addKubeconfigEntries,
  contextNames,
  currentContext,
  type KubeconfigEntry,
  removeKubeconfigEntries,
} from '../src/kubeconfig/kubeconfig-edit.js';

const PROXY = 'proxy.test:3080';

function entry(cluster: string): KubeconfigEntry {
  const name = `${PROXY}-${cluster}`;
  return {
    name,
    cluster: { server: `https://proxy.test:3026/k8s/${cluster}`, 'certificate-authority-data': 'Q0E=' },
    user: {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        command: 'remoteler',
        args: ['kube', 'credentials', '--proxy', PROXY, '--cluster', cluster],
        interactiveMode: 'IfAvailable',
        provideClusterInfo: true,
      },
    },
  };
}

// Written the way kubectl writes it (unindented lists), with comments and quoting a re-serialiser
// would change.
const EXISTING = `# my clusters, hand-edited
apiVersion: v1
clusters:
- cluster:
    server: "https://kind.local:6443"   # quoted on purpose
    insecure-skip-tls-verify: true
  name: kind
# a comment between lists
contexts:
- context:
    cluster: kind
    user: kind-admin
  name: kind
current-context: kind   # the one I use
kind: Config
preferences: {}
users:
- name: kind-admin
  user:
    token: 'abc'
`;

describe('kubeconfig entries', () => {
  it('adds one cluster, user and context per cluster named <proxy>-<cluster>, and makes the chosen one current', () => {
    const { source } = addKubeconfigEntries(EXISTING, [entry('dev'), entry('prod')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
    });
    expect(contextNames(source)).toEqual(['kind', `${PROXY}-dev`, `${PROXY}-prod`]);
    expect(currentContext(source)).toBe(`${PROXY}-dev`);
    expect(source).toContain('    server: "https://kind.local:6443"   # quoted on purpose\n');
    expect(source).toContain('# a comment between lists\n');
    expect(source).toContain("    token: 'abc'\n");
    expect(source).toContain('current-context: proxy.test:3080-dev   # the one I use\n');
  });

  it('removes exactly what it added and restores the previous current-context byte for byte', () => {
    const login = addKubeconfigEntries(EXISTING, [entry('dev'), entry('prod')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
    });
    expect(removeKubeconfigEntries(login.source, login.state, PROXY)).toBe(EXISTING);
  });

  it('is idempotent on repeated login and still restores the first previous context', () => {
    const first = addKubeconfigEntries(EXISTING, [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
    });
    const second = addKubeconfigEntries(first.source, [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      previous: first.state,
      select: `${PROXY}-dev`,
    });
    expect(second.source).toBe(first.source);
    expect(removeKubeconfigEntries(second.source, second.state, PROXY)).toBe(EXISTING);
  });

  it('drops the entries of clusters a later login no longer allows', () => {
    const first = addKubeconfigEntries(EXISTING, [entry('dev'), entry('prod')], { proxy: PROXY, path: '/k' });
    const second = addKubeconfigEntries(first.source, [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      previous: first.state,
    });
    expect(contextNames(second.source)).toEqual(['kind', `${PROXY}-dev`]);
    expect(removeKubeconfigEntries(second.source, second.state, PROXY)).toBe(EXISTING);
  });

  it('keeps a current-context the user switched to after login', () => {
    const login = addKubeconfigEntries(EXISTING, [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
    });
    const switched = login.source.replace(`current-context: ${PROXY}-dev`, 'current-context: kind-other');
    const after = removeKubeconfigEntries(switched, login.state, PROXY) as string;
    expect(currentContext(after)).toBe('kind-other');
    expect(contextNames(after)).toEqual(['kind']);
  });

  it('never overwrites an entry of the same name it did not create', () => {
    const taken = EXISTING.replace('  name: kind\n# a comment', `  name: ${PROXY}-dev\n# a comment`);
    expect(() => addKubeconfigEntries(taken, [entry('dev')], { proxy: PROXY, path: '/k' })).toThrow(
      expect.objectContaining({ code: 'RMT_CLIENT_KUBECONFIG_CONFLICT' }),
    );
  });

  it('never removes an entry another proxy created, even with a recorded name', () => {
    const login = addKubeconfigEntries(EXISTING, [entry('dev')], { proxy: PROXY, path: '/k' });
    const after = removeKubeconfigEntries(login.source, login.state, 'other.test:3080');
    expect(contextNames(after as string)).toContain(`${PROXY}-dev`);
  });

  it('restores lists that were empty ([] and null) and lists and lines it created', () => {
    const sparse = 'apiVersion: v1\nclusters: []\nusers: null\nkind: Config\n';
    const login = addKubeconfigEntries(sparse, [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
    });
    expect(contextNames(login.source)).toEqual([`${PROXY}-dev`]);
    expect(removeKubeconfigEntries(login.source, login.state, PROXY)).toBe(sparse);
  });

  it('writes a new file with a kubectl header and deletes it again on logout', () => {
    const login = addKubeconfigEntries('', [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
      fileIsNew: true,
    });
    expect(login.source.startsWith('apiVersion: v1\nkind: Config\n')).toBe(true);
    expect(removeKubeconfigEntries(login.source, login.state, PROXY)).toBeUndefined();
  });

  it('follows indented lists and files without a final newline, and still restores them exactly', () => {
    const indented =
      'apiVersion: v1\nclusters:\n  - name: a\n    cluster:\n      server: https://a\ncontexts:\n  - name: a\n    context: {cluster: a, user: a}\ncurrent-context: a\nusers:\n  - name: a\n    user: {}';
    const login = addKubeconfigEntries(indented, [entry('dev')], {
      proxy: PROXY,
      path: '/k',
      select: `${PROXY}-dev`,
    });
    expect(login.source).toContain(`\n  - name: ${PROXY}-dev\n    cluster:\n`);
    expect(contextNames(login.source)).toEqual(['a', `${PROXY}-dev`]);
    const after = removeKubeconfigEntries(login.source, login.state, PROXY);
    // Only the final newline Remoteler had to add to append after the last line remains.
    expect(after).toBe(`${indented}\n`);
  });

  it('refuses a kubeconfig that is not a YAML mapping, changing nothing', () => {
    expect(() => addKubeconfigEntries('- a\n- b\n', [entry('dev')], { proxy: PROXY, path: '/k' })).toThrow(
      expect.objectContaining({ code: 'RMT_CLIENT_KUBECONFIG_INVALID' }),
    );
  });
});
