import { type Document, LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { problemsFromZodError, type ValidationProblem } from '../config/validation-problems.js';
import { RemotelerError } from '../errors/remoteler-error.js';
import { validateRole } from '../roles/index.js';
import type { Role } from '../roles/types.js';
import { type KubeCluster, kubeClusterSchema } from './kube-cluster.js';
import { type Lock, lockSchema } from './lock.js';
import { type User, userSchema } from './user.js';

/** Any resource kind Remoteler reads from files or API bodies. */
export type AnyResource = Role | User | KubeCluster | Lock;

/** The `kind` values {@link parseResources} understands. */
export type ResourceKind = AnyResource['kind'];

/** One problem found while parsing resources, located by document and (for YAML) line. */
export interface ResourceProblem extends ValidationProblem {
  /** 0-based index of the YAML document (or array entry). */
  readonly document: number;
  /** 1-based line in the YAML text, when known. */
  readonly line?: number;
}

/** Options for {@link parseResources}. */
export interface ParseResourcesOptions {
  /** A file name to mention in the error message (never read). */
  readonly source?: string;
  /** Kinds accepted; others are reported as problems. Default: all. */
  readonly kinds?: readonly ResourceKind[];
}

const SCHEMAS: Readonly<Record<Exclude<ResourceKind, 'role'>, z.ZodType>> = {
  user: userSchema,
  kube_cluster: kubeClusterSchema,
  lock: lockSchema,
};
const ALL_KINDS: readonly ResourceKind[] = ['role', 'user', 'kube_cluster', 'lock'];

/**
 * Parses resources of any kind (role, user, kube_cluster, lock) from YAML text (documents
 * separated by `---`, empty ones ignored) or from an array of plain objects, as `remoteler create
 * -f` and configuration files provide them. Every problem of every document is reported at once,
 * with its document, line and path; `kind`/`metadata.name` pairs must be unique.
 *
 * @throws RemotelerError `RMT_RESOURCE_INVALID` with `details.problems` ({@link ResourceProblem}[]).
 */
export function parseResources(
  input: string | readonly unknown[],
  options: ParseResourcesOptions = {},
): AnyResource[] {
  const accepted = new Set<string>(options.kinds ?? ALL_KINDS);
  const problems: ResourceProblem[] = [];
  const resources: AnyResource[] = [];
  const seen = new Set<string>();

  const entries: Entry[] =
    typeof input === 'string' ? yamlEntries(input, problems) : input.map((value) => ({ value }));
  entries.forEach((entry, document) => {
    const lineOf = (path: string) => entry.lineOf?.(path);
    const report = (found: readonly ValidationProblem[]) => {
      for (const problem of found) {
        const line = lineOf(problem.path);
        problems.push({ ...problem, document, ...(line === undefined ? {} : { line }) });
      }
    };
    if (entry.value === undefined) return;
    const kind = (entry.value as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !accepted.has(kind)) {
      report([{ path: 'kind', message: `must be one of ${[...accepted].join(', ')}` }]);
      return;
    }
    const parsed =
      kind === 'role'
        ? checkRole(entry.value)
        : checkWithSchema(SCHEMAS[kind as keyof typeof SCHEMAS], entry.value);
    if ('problems' in parsed) {
      report(parsed.problems);
      return;
    }
    const key = `${kind}/${parsed.resource.metadata.name}`;
    if (seen.has(key))
      report([{ path: 'metadata.name', message: `duplicate ${kind} "${parsed.resource.metadata.name}"` }]);
    seen.add(key);
    resources.push(parsed.resource);
  });

  if (problems.length > 0) {
    const listed = problems
      .map(
        (p) =>
          `document ${p.document + 1}${p.line === undefined ? '' : ` line ${p.line}`} ${p.path || '(root)'}: ${p.message}`,
      )
      .join('; ');
    throw new RemotelerError('RMT_RESOURCE_INVALID', `${options.source ?? 'resources'}: ${listed}`, {
      details: { problems, ...(options.source === undefined ? {} : { source: options.source }) },
    });
  }
  return resources;
}

interface Entry {
  readonly value: unknown;
  readonly lineOf?: (path: string) => number | undefined;
}

function yamlEntries(text: string, problems: ResourceProblem[]): Entry[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  return list.map((doc, document): Entry => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors)
        problems.push({
          document,
          path: '',
          message: error.message.split('\n')[0] ?? 'YAML syntax error',
          ...(error.linePos?.[0] ? { line: error.linePos[0].line } : {}),
        });
      return { value: undefined };
    }
    // maxAliasCount bounds alias expansion ("billion laughs") in untrusted input.
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    // A document holding only comments (or nothing) between `---` separators is skipped.
    if (value === null || value === undefined) return { value: undefined };
    return { value, lineOf: (path) => lineIn(doc, lineCounter, path) };
  });
}

function lineIn(doc: Document, lineCounter: LineCounter, path: string): number | undefined {
  const segments = pathSegments(path);
  // The deepest node that exists: an unknown or missing field is reported at its parent's line.
  for (let length = segments.length; length >= 0; length -= 1) {
    const node = doc.getIn(segments.slice(0, length), true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Splits `spec.allow.kubernetes_groups[1]` or `metadata.labels["a.b/c"]` into segments. */
function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const match of path.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(JSON.parse(match[3]) as string);
  }
  return segments;
}

function checkWithSchema(
  schema: z.ZodType,
  value: unknown,
): { resource: AnyResource } | { problems: ValidationProblem[] } {
  const result = schema.safeParse(value);
  return result.success
    ? { resource: result.data as AnyResource }
    : { problems: problemsFromZodError(result.error) };
}

function checkRole(value: unknown): { resource: AnyResource } | { problems: ValidationProblem[] } {
  try {
    return { resource: validateRole(value) };
  } catch (error) {
    const found = RemotelerError.is(error)
      ? (error.details?.problems as ValidationProblem[] | undefined)
      : undefined;
    if (!found) throw error;
    // The role validator writes the root as "(root)"; the other kinds use "".
    return { problems: found.map(({ path, message }) => ({ path: path === '(root)' ? '' : path, message })) };
  }
}
