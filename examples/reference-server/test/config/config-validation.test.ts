import { readFileSync } from 'node:fs';
import { RemotelerError } from '@remoteler/core';
import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../src/config/config-problems.js';
import { configJsonSchemaText } from '../../src/config/json-schema.js';
import { parseServerConfigYaml } from '../../src/config/load-config.js';

function problemsOf(yaml: string): ConfigProblem[] {
  try {
    parseServerConfigYaml(yaml, 'remoteler.yaml');
  } catch (error) {
    if (RemotelerError.hasCode(error, 'RMT_CONFIG_INVALID'))
      return error.details?.problems as ConfigProblem[];
    throw error;
  }
  throw new Error('the configuration validated');
}

const VALID = `
version: v1
cluster_name: example
state_dir: /var/lib/remoteler
diag: { listen: 127.0.0.1:3000 }
auth:
  listen: 0.0.0.0:3025
  proxy_public_addr: proxy.example.com:3080
  connectors:
    - type: local
      users_file: users.yaml
    - type: oidc
      id: corp
      issuer: https://login.example.com
      client_id: remoteler
      client_secret: { env: OIDC_CLIENT_SECRET }
      claims_to_roles:
        - { claim: groups, value: devs, roles: [developer] }
  roles_dir: roles
proxy:
  web_listen: 0.0.0.0:3080
  public_addr: proxy.example.com:3080
  clusters:
    - name: prod
      labels: { env: prod }
      token: { server: "https://10.0.0.1:6443", token: { file: /secrets/prod-token }, ca_file: /secrets/prod-ca.pem }
    - name: here
      in_cluster: {}
`;

describe('remoteler.yaml validation', () => {
  it('accepts a complete configuration and applies the defaults', () => {
    const config = parseServerConfigYaml(VALID);
    expect(config.roles).toEqual(['auth', 'proxy']);
    expect(config.auth?.admin_roles).toEqual(['admin']);
    expect(config.auth?.session_ttl).toBe('12h');
    expect(config.proxy?.clusters.map((c) => c.name)).toEqual(['prod', 'here']);
    expect(Object.isFrozen(config.proxy?.clusters)).toBe(true);
  });

  it('reports all five mistakes of a configuration at once, each with its path, what was expected and what was there', () => {
    const problems = problemsOf(`
version: v1
cluster_name: example
log: { level: loud }
auth:
  listen: 3025
  session_ttl: forever
  connectors:
    - type: local
      users_file: users.yaml
proxy:
  web_listn: 0.0.0.0:3080
  clusters:
    - name: prod
      token: { server: "https://10.0.0.1:6443", token: { file: /t } }
      kubeconfig: { path: /k }
`);
    expect(problems.map((p) => p.path)).toEqual([
      'log.level',
      'auth.listen',
      'auth.session_ttl',
      'proxy.web_listn',
      'proxy.clusters[0]',
    ]);
    expect(problems[0]).toMatchObject({
      expected: expect.stringContaining('"info"'),
      got: '"loud"',
      line: 4,
    });
    expect(problems[1]).toMatchObject({
      expected: expect.stringContaining('host:port'),
      got: '3025',
      line: 6,
    });
    expect(problems[2]).toMatchObject({ expected: expect.stringContaining('duration'), got: '"forever"' });
    expect(problems[3]).toMatchObject({ expected: expect.stringContaining('no such field'), line: 12 });
    expect(problems[4]?.expected).toContain(
      'exactly one of kubeconfig, in_cluster, token, client_certificate',
    );
  });

  it('puts every problem with its file and line into the message', () => {
    expect(() => parseServerConfigYaml('version: v2\ncluster_name: Bad Name\n', 'remoteler.yaml')).toThrow(
      /remoteler\.yaml:1 version: expected "v1", got "v2"\n.*remoteler\.yaml:2 cluster_name: expected/s,
    );
  });

  it('never echoes a secret written inline where a file or variable reference belongs', () => {
    const secret = 'sk-live-0123456789abcdef';
    let message = '';
    try {
      parseServerConfigYaml(`
version: v1
cluster_name: example
roles: [proxy]
proxy:
  auth_server: https://auth:3025
  join_token: ${secret}
  clusters:
    - name: prod
      token: { server: "https://10.0.0.1:6443", token: ${secret} }
`);
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify((error as RemotelerError).details)}`;
    }
    expect(message).toContain('proxy.join_token: expected a map, got a string (value not shown)');
    expect(message).toContain('proxy.clusters[0].token.token');
    expect(message).not.toContain(secret);
  });

  it('requires the sections of the roles the process runs, and an Auth URL and host CA pin for a Proxy-only process', () => {
    const problems = problemsOf('version: v1\ncluster_name: example\nroles: [proxy]\nproxy: {}\n');
    expect(problems.map((p) => p.path)).toEqual(['proxy.auth_server', 'proxy.auth_ca_pin']);
    expect(problemsOf('version: v1\ncluster_name: example\n').map((p) => p.path)).toEqual(['auth', 'proxy']);
  });

  it('reports YAML syntax errors with their line', () => {
    try {
      parseServerConfigYaml('version: v1\nauth: [\n', 'remoteler.yaml');
      expect.unreachable();
    } catch (error) {
      expect(RemotelerError.hasCode(error, 'RMT_CONFIG_YAML_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(/remoteler\.yaml:\d/);
    }
  });
});

describe('the published JSON Schema', () => {
  it('is current: schema/remoteler.schema.json equals what the zod schema generates (npm run schema -w @remoteler/reference-server)', () => {
    const committed = readFileSync(new URL('../../schema/remoteler.schema.json', import.meta.url), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(configJsonSchemaText()));
  });
});
