import type { z } from 'zod';
import type { ErrorCode } from '../errors/catalog/index.js';
import { RemotelerError } from '../errors/remoteler-error.js';

/** One reason a value did not validate, with the path of the offending field. */
export interface ValidationProblem {
  /** Dotted path with list indices, e.g. `spec.upstream.token` or `spec.roles[2]`; empty for the root. */
  readonly path: string;
  /** What was expected there. */
  readonly message: string;
}

/**
 * Renders a schema issue path the way an admin reads YAML: `spec.allow.kubernetes_groups[1]`.
 * Keys that are not plain identifiers (label keys such as `app.kubernetes.io/name`) are quoted:
 * `metadata.labels["app.kubernetes.io/name"]`.
 */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment))
      out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/**
 * Every problem a zod error holds, in schema order. An unknown field (usually a typo) is reported
 * at its own path, e.g. `metadata.colour: unknown field`.
 */
export function problemsFromZodError(error: z.ZodError): ValidationProblem[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatIssuePath([...issue.path, key]), message: 'unknown field' }))
      : [{ path: formatIssuePath(issue.path), message: issue.message }],
  );
}

/** Options for {@link parseWithSchema}. */
export interface ParseWithSchemaOptions {
  /** The code of the error thrown when the value does not validate. */
  readonly code: ErrorCode;
  /** What is being validated, for the message: `kube_cluster "prod"`, `LocalUserConnector options`. */
  readonly subject: string;
}

/**
 * Validates `input` against `schema` and returns the parsed value. On failure throws a
 * `RemotelerError` with the given code whose message lists every problem (never the value itself,
 * which may hold secrets) and whose `details.problems` holds them as data.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  input: unknown,
  options: ParseWithSchemaOptions,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = problemsFromZodError(result.error);
  const listed = problems.map((p) => `${p.path === '' ? '(root)' : p.path}: ${p.message}`).join('; ');
  throw new RemotelerError(options.code, `${options.subject} is invalid: ${listed}`, {
    details: { problems },
  });
}
