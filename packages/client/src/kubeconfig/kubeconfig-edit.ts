import { RemotelerError } from '@remoteler/core';
import { Document, isMap, isScalar, isSeq, type Node, type Pair, parseDocument, type YAMLMap } from 'yaml';

// Edits are text splices at the positions the `yaml` parser reports (node ranges), never a
// re-serialisation of the whole document: every byte Remoteler did not add - other entries, comments,
// quoting, kubectl's unindented lists - stays exactly as it was, so logout can restore the file
// byte for byte.

/** The extension that marks an entry as Remoteler's (kubeconfig v1 `extensions`, a NamedExtension list). */
export const MANAGED_EXTENSION = 'remoteler.dev/profile';

/** The three lists of a kubeconfig (client-go `clientcmd/api/v1` Config). */
export type KubeconfigList = 'clusters' | 'users' | 'contexts';

/** What a kubeconfig Remoteler creates starts with (kubectl's own first lines). */
const NEW_FILE_HEADER = 'apiVersion: v1\nkind: Config\n';

const LISTS: readonly KubeconfigList[] = ['clusters', 'users', 'contexts'];

/** One cluster, user and context Remoteler adds for a Kubernetes cluster, all with the same name. */
export interface KubeconfigEntry {
  /** `<proxy>-<cluster>`. */
  readonly name: string;
  /** `cluster` object of the clusters list (server, certificate-authority-data…). */
  readonly cluster: Record<string, unknown>;
  /** `user` object of the users list (exec plugin stanza). */
  readonly user: Record<string, unknown>;
  /** `context.namespace`, when set. */
  readonly namespace?: string;
}

/**
 * What a login changed in one kubeconfig file, kept in the profile so that logout removes exactly
 * that and puts the file back as it was.
 */
export interface KubeconfigState {
  /** The kubeconfig path as configured ($KUBECONFIG's first entry or ~/.kube/config). */
  readonly path: string;
  /** Names of the entries added (the same name in clusters, users and contexts). */
  readonly names: readonly string[];
  /** The file did not exist before the first login. */
  readonly createdFile: boolean;
  /** Top-level lists that did not exist and were added. */
  readonly createdLists: readonly KubeconfigList[];
  /** Lists that were empty (`[]`, `null` or nothing) and their exact original text after the colon. */
  readonly emptyLists: Readonly<Partial<Record<KubeconfigList, string>>>;
  /**
   * current-context before Remoteler changed it: the exact text after the colon, or `null` when
   * there was no current-context line. `undefined`: Remoteler did not change it.
   */
  readonly previousContext?: string | null;
}

function invalid(message: string, cause?: unknown): RemotelerError {
  return new RemotelerError('RMT_CLIENT_KUBECONFIG_INVALID', message, cause === undefined ? {} : { cause });
}

function parse(source: string): YAMLMap | null {
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw invalid(`the kubeconfig is not valid YAML: ${doc.errors[0]?.message}`);
  if (doc.contents === null) return null;
  if (!isMap(doc.contents) || doc.contents.flow) throw invalid('the kubeconfig is not a block YAML mapping');
  return doc.contents;
}

function findPair(map: YAMLMap | null, key: string): Pair<Node, Node | null> | undefined {
  return map?.items.find((pair) => isScalar(pair.key) && pair.key.value === key) as
    | Pair<Node, Node | null>
    | undefined;
}

function lineStart(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(source: string, offset: number): number {
  const end = source.indexOf('\n', offset);
  return end === -1 ? source.length : end + 1;
}

function afterColon(source: string, pair: Pair<Node, Node | null>): number {
  const keyEnd = (pair.key.range as [number, number, number])[1];
  return source.indexOf(':', keyEnd) + 1;
}

/** The span of a block list item: from the start of its `- ` line to the end of its last line. */
function itemSpan(source: string, item: Node): [number, number] {
  const [start, , end] = item.range as [number, number, number];
  return [lineStart(source, start), source[end - 1] === '\n' ? end : lineEnd(source, end)];
}

function renderItems(items: readonly object[], indent: number): string {
  const text = new Document(items).toString({ indentSeq: false, lineWidth: 0 });
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

function withFinalNewline(source: string): string {
  return source === '' || source.endsWith('\n') ? source : `${source}\n`;
}

function marker(proxy: string): object[] {
  return [{ name: MANAGED_EXTENSION, extension: { proxy } }];
}

/** True when a list item carries Remoteler's marker for `proxy` in its cluster/user/context object. */
function isManaged(item: unknown, list: KubeconfigList, proxy: string): boolean {
  const body = (item as Record<string, Record<string, unknown> | undefined>)?.[list.slice(0, -1)];
  const extensions = body?.extensions;
  return (
    Array.isArray(extensions) &&
    extensions.some(
      (e) =>
        e?.name === MANAGED_EXTENSION && (e.extension as { proxy?: unknown } | undefined)?.proxy === proxy,
    )
  );
}

function itemObject(list: KubeconfigList, entry: KubeconfigEntry, proxy: string): object {
  switch (list) {
    case 'clusters':
      return { name: entry.name, cluster: { ...entry.cluster, extensions: marker(proxy) } };
    case 'users':
      return { name: entry.name, user: { ...entry.user, extensions: marker(proxy) } };
    default:
      return {
        name: entry.name,
        context: {
          cluster: entry.name,
          user: entry.name,
          ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }),
          extensions: marker(proxy),
        },
      };
  }
}

interface Upsert {
  readonly source: string;
  readonly createdList: boolean;
  readonly emptyText?: string;
}

function upsertItem(source: string, list: KubeconfigList, item: object, name: string, proxy: string): Upsert {
  const map = parse(source);
  const pair = findPair(map, list);
  if (!pair) {
    const text = `${withFinalNewline(source)}${list}:\n${renderItems([item], 0)}`;
    return { source: text, createdList: true };
  }
  const value = pair.value;
  if (isSeq(value) && !value.flow && value.items.length > 0) {
    const items = value.items as Node[];
    const existing = items.find((node) => isMap(node) && node.get('name') === name);
    const first = items[0] as Node;
    const indent =
      (first.range as [number, number, number])[0] -
      lineStart(source, (first.range as number[])[0] as number) -
      2;
    const rendered = renderItems([item], Math.max(indent, 0));
    if (existing) {
      if (!isManaged(existing.toJSON(), list, proxy)) {
        throw new RemotelerError(
          'RMT_CLIENT_KUBECONFIG_CONFLICT',
          `the kubeconfig already has a ${list.slice(0, -1)} named ${name} that Remoteler did not create`,
        );
      }
      const [start, end] = itemSpan(source, existing);
      return { source: source.slice(0, start) + rendered + source.slice(end), createdList: false };
    }
    const [, end] = itemSpan(source, items[items.length - 1] as Node);
    const insertAt = end;
    const prefix = source.slice(0, insertAt);
    return { source: withFinalNewline(prefix) + rendered + source.slice(insertAt), createdList: false };
  }
  const emptyValue =
    value === null ||
    (isScalar(value) && (value.value === null || value.value === '')) ||
    (isSeq(value) && value.items.length === 0);
  if (!emptyValue)
    throw invalid(`the kubeconfig's ${list} is not a block list (kubectl writes "- name: …" items)`);
  const from = afterColon(source, pair);
  const valueEnd = value === null ? from : Math.max(from, (value.range as [number, number, number])[1]);
  const original = source.slice(from, valueEnd);
  const rendered = renderItems([item], 0).replace(/\n$/, '');
  return {
    source: `${source.slice(0, from)}\n${rendered}${source.slice(valueEnd)}`,
    createdList: false,
    emptyText: original,
  };
}

function currentContextPair(source: string): Pair<Node, Node | null> | undefined {
  return findPair(parse(source), 'current-context');
}

/** The current-context of a kubeconfig text (`undefined` when unset or empty). */
export function currentContext(source: string): string | undefined {
  const pair = currentContextPair(source);
  const value = pair?.value;
  return isScalar(value) && typeof value.value === 'string' && value.value !== '' ? value.value : undefined;
}

/** The names of a kubeconfig's contexts. */
export function contextNames(source: string): string[] {
  const value = findPair(parse(source), 'contexts')?.value;
  if (!isSeq(value)) return [];
  return value.items.flatMap((item) =>
    isMap(item) && typeof item.get('name') === 'string' ? [item.get('name') as string] : [],
  );
}

function setCurrentContext(source: string, name: string): { source: string; previous: string | null } {
  const pair = currentContextPair(source);
  if (!pair) return { source: `${withFinalNewline(source)}current-context: ${name}\n`, previous: null };
  const from = afterColon(source, pair);
  const value = pair.value;
  const valueEnd = value === null ? from : Math.max(from, (value.range as [number, number, number])[1]);
  return {
    source: `${source.slice(0, from)} ${name}${source.slice(valueEnd)}`,
    previous: source.slice(from, valueEnd),
  };
}

/** Options of {@link addKubeconfigEntries}. */
export interface AddEntriesOptions {
  /** The proxy (`HOST:PORT`) the entries belong to; recorded in each entry's marker extension. */
  readonly proxy: string;
  /** The kubeconfig path (recorded in the state). */
  readonly path: string;
  /** The state from an earlier login to this file, so repeated logins stay idempotent. */
  readonly previous?: KubeconfigState;
  /** Make this entry's context the current-context. */
  readonly select?: string;
  /** The file did not exist (an empty source stands for it). */
  readonly fileIsNew?: boolean;
}

/**
 * Adds (or refreshes) one cluster, user and context per entry. Entries Remoteler made for the same
 * proxy are replaced in place; any other entry of that name is a `RMT_CLIENT_KUBECONFIG_CONFLICT`
 * and nothing changes. Entries of an earlier login that are no longer in `entries` are removed.
 */
export function addKubeconfigEntries(
  source: string,
  entries: readonly KubeconfigEntry[],
  options: AddEntriesOptions,
): { source: string; state: KubeconfigState } {
  const prev = options.previous;
  const wanted = new Set(entries.map((e) => e.name));
  let text = source === '' && options.fileIsNew ? NEW_FILE_HEADER : source;
  // Drop entries of the earlier login that are gone (a cluster the roles no longer allow).
  if (prev)
    text = removeNames(
      text,
      prev.names.filter((n) => !wanted.has(n)),
      options.proxy,
    );
  const createdLists = new Set<KubeconfigList>(prev?.createdLists ?? []);
  const emptyLists: Partial<Record<KubeconfigList, string>> = { ...prev?.emptyLists };
  for (const list of LISTS) {
    for (const entry of entries) {
      const result = upsertItem(
        text,
        list,
        itemObject(list, entry, options.proxy),
        entry.name,
        options.proxy,
      );
      text = result.source;
      if (result.createdList) createdLists.add(list);
      if (result.emptyText !== undefined) emptyLists[list] = result.emptyText;
    }
  }
  let previousContext = prev?.previousContext;
  if (options.select !== undefined) {
    const current = currentContext(text);
    const currentIsOurs = current !== undefined && (prev?.names.includes(current) || wanted.has(current));
    const set = setCurrentContext(text, options.select);
    text = set.source;
    // Remember the user's own context only: switching between Remoteler contexts keeps the first one.
    if (!currentIsOurs) previousContext = set.previous;
  }
  return {
    source: text,
    state: {
      path: options.path,
      names: [...wanted],
      createdFile: prev?.createdFile ?? options.fileIsNew ?? false,
      createdLists: [...createdLists],
      emptyLists,
      ...(previousContext === undefined ? {} : { previousContext }),
    },
  };
}

function removeNames(
  source: string,
  names: readonly string[],
  proxy: string,
  state?: KubeconfigState,
): string {
  let text = source;
  for (const list of LISTS) {
    for (const name of names) {
      const value = findPair(parse(text), list)?.value;
      if (!isSeq(value)) continue;
      const item = (value.items as Node[]).find((node) => isMap(node) && node.get('name') === name);
      if (!item || !isManaged(item.toJSON(), list, proxy)) continue;
      const [start, end] = itemSpan(text, item);
      text = text.slice(0, start) + text.slice(end);
    }
    if (!state) continue;
    const pair = findPair(parse(text), list);
    const value = pair?.value;
    const nowEmpty =
      pair !== undefined &&
      (value === null ||
        (isSeq(value) && value.items.length === 0) ||
        (isScalar(value) && value.value === null));
    if (!pair || !nowEmpty) continue;
    const from = afterColon(text, pair);
    if (state.createdLists.includes(list)) {
      const start = lineStart(text, (pair.key.range as number[])[0] as number);
      text = text.slice(0, start) + text.slice(lineEnd(text, from));
    } else if (state.emptyLists[list] !== undefined) {
      const end = lineEnd(text, from);
      const nl = text[end - 1] === '\n' ? end - 1 : end;
      text = text.slice(0, from) + state.emptyLists[list] + text.slice(nl);
    }
  }
  return text;
}

/**
 * Removes exactly the entries a login added (only those still carrying the marker for `proxy`) and
 * restores the previous current-context when the current one is still Remoteler's. Returns
 * `undefined` when the file should be deleted (Remoteler created it and nothing else was added).
 */
export function removeKubeconfigEntries(
  source: string,
  state: KubeconfigState,
  proxy: string,
): string | undefined {
  let text = removeNames(source, state.names, proxy, state);
  const current = currentContext(text);
  if (state.previousContext !== undefined && current !== undefined && state.names.includes(current)) {
    const pair = currentContextPair(text) as Pair<Node, Node | null>;
    if (state.previousContext === null) {
      const start = lineStart(text, (pair.key.range as number[])[0] as number);
      text = text.slice(0, start) + text.slice(lineEnd(text, afterColon(text, pair)));
    } else {
      const from = afterColon(text, pair);
      const valueEnd = Math.max(from, ((pair.value as Node).range as [number, number, number])[1]);
      text = text.slice(0, from) + state.previousContext + text.slice(valueEnd);
    }
  }
  if (state.createdFile && (text.trim() === '' || text === NEW_FILE_HEADER)) return undefined;
  return text;
}
