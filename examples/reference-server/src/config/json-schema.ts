import { z } from 'zod';
import { serverConfigSchema } from './schema.js';

/** Where the published schema of `remoteler.yaml` says it lives (its `$id`). */
export const CONFIG_SCHEMA_ID =
  'https://github.com/remoteler/remoteler/blob/main/examples/reference-server/schema/remoteler.schema.json';

/**
 * The JSON Schema (draft 2020-12) of `remoteler.yaml` for editors (yaml-language-server:
 * `# yaml-language-server: $schema=…`), generated from the zod schema so the two never drift.
 * Checks that need code (exactly one of file/env, a duration's syntax) are enforced by
 * `remoteler-server config check` only.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(serverConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return { ...schema, $id: CONFIG_SCHEMA_ID, title: 'remoteler.yaml (version v1)' };
}

/** The schema as the committed file holds it: two-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
