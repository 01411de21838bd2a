import { z } from 'zod';

/**
 * The metadata every Remoteler resource carries, in the YAML shape an admin writes
 * (`kind`/`version`/`metadata`/`spec`, the same as roles), so that stores handle every kind alike.
 */
export interface ResourceMetadata {
  /** Unique within its kind. 1-253 characters, no control characters, no `/` (see {@link resourceNameSchema}). */
  readonly name: string;
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Opaque store revision, set by stores; used for optimistic concurrency. Ignored on create. */
  readonly revision?: string;
}

/** Any resource: `kind`, `version`, `metadata` and a kind-specific `spec`. */
export interface Resource<K extends string = string, S = unknown> {
  readonly kind: K;
  readonly version: 'v1';
  readonly metadata: ResourceMetadata;
  readonly spec: S;
}

// C0 and C1 control characters and DEL: they corrupt terminals and log lines, and some end up in
// HTTP headers (Impersonate-User), where they are forbidden outright (RFC 9110 §5.5).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A resource name: 1-253 characters (the longest DNS name, so a cluster name always fits a SAN),
 * no control characters, no `/` (names appear in URL paths such as `/k8s/<cluster>` and in store
 * keys, where `/` would read as a separator), and not `.` or `..`. Unicode is allowed.
 */
export const resourceNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .refine((name) => !CONTROL_CHARACTERS.test(name), 'must not contain control characters')
  .refine((name) => !name.includes('/'), 'must not contain "/"')
  .refine((name) => name !== '.' && name !== '..', 'must not be "." or ".."');

/** True when `text` holds a control character (see {@link resourceNameSchema}). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

/** Schema of {@link ResourceMetadata}; unknown fields are refused (they are usually typos). */
export const resourceMetadataSchema = z.strictObject({
  name: resourceNameSchema,
  description: z.string().max(1024).optional(),
  labels: z.record(z.string().min(1).max(253), z.string().max(253)).optional(),
  revision: z.string().optional(),
});

/** An RFC 3339 timestamp with an explicit offset (`2026-01-31T12:00:00Z`). */
export const timestampSchema = z.iso.datetime({ offset: true });

/** Builds the schema of a `kind`/`version: v1`/`metadata`/`spec` resource. */
export function resourceSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z.strictObject({
    kind: z.literal(kind),
    version: z.literal('v1'),
    metadata: resourceMetadataSchema,
    spec,
  });
}
