import {
  type AnyResource,
  parseResources,
  RemotelerError,
  type Resource,
  type ResourceProblem,
} from '@remoteler/core';
import type { AdminClient } from './admin-client.js';
import { collectionOfKind } from './admin-kinds.js';
import { diffResources, type FieldChange } from './resource-diff.js';

/** What `admin create -f` did to one resource. */
export interface AppliedResource {
  readonly kind: string;
  readonly name: string;
  readonly action: 'created' | 'updated' | 'unchanged';
  /** Field-level changes of an update (empty otherwise). */
  readonly changes: readonly FieldChange[];
}

/**
 * Parses resource YAML (one or several documents: role, user, kube_cluster, lock) with the core
 * parsers and reports every problem at once as `RMT_RESOURCE_INVALID`, each line of the message
 * naming the file, line, document and field: `role.yaml:7 (document 2) spec.allow…: message`.
 */
export function parseResourceFile(text: string, source: string): AnyResource[] {
  try {
    const resources = parseResources(text, { source });
    if (resources.length === 0)
      throw new RemotelerError('RMT_RESOURCE_INVALID', `${source} holds no resource`, {
        hint: 'Write at least one document with kind, version, metadata and spec.',
      });
    return resources;
  } catch (error) {
    if (!RemotelerError.hasCode(error, 'RMT_RESOURCE_INVALID')) throw error;
    const problems = error.details?.problems as readonly ResourceProblem[] | undefined;
    if (!problems) throw error;
    const listed = problems.map(
      (p) =>
        `  ${source}${p.line === undefined ? '' : `:${p.line}`} (document ${p.document + 1}) ${p.path || '(root)'}: ${p.message}`,
    );
    throw new RemotelerError(
      'RMT_RESOURCE_INVALID',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${source}, nothing was changed:\n${listed.join('\n')}\n`,
      { details: { problems, source } },
    );
  }
}

/**
 * Creates or updates each resource in order through the admin API, after reading the stored one:
 * absent -> created; the same apart from the fields Auth manages -> unchanged (nothing written, no
 * audit event); else updated, conditional on the revision read (a concurrent change is a 409, never a
 * lost update). Locks are create-only in Auth, and a lock is never lifted to be replaced (there would
 * be a moment without it), so a changed lock is `RMT_CLIENT_ADMIN_EXISTS`.
 */
export async function applyResources(
  client: AdminClient,
  resources: readonly AnyResource[],
): Promise<AppliedResource[]> {
  const results: AppliedResource[] = [];
  for (const resource of resources) {
    const collection = collectionOfKind(resource.kind);
    const name = resource.metadata.name;
    const existing = await client.get(collection, name);
    if (!existing) {
      await client.put(collection, resource as Resource);
      results.push({ kind: resource.kind, name, action: 'created', changes: [] });
      continue;
    }
    const changes = diffResources(existing, resource as Resource);
    if (changes.length === 0) {
      results.push({ kind: resource.kind, name, action: 'unchanged', changes: [] });
      continue;
    }
    if (resource.kind === 'lock')
      throw new RemotelerError('RMT_CLIENT_ADMIN_EXISTS', `a different lock ${JSON.stringify(name)} exists`, {
        hint: `Locks are replaced by lifting the old one first: \`remoteler admin unlock ${name}\`, then create it again.`,
      });
    const revision = resource.metadata.revision ?? existing.metadata.revision;
    const conditional = {
      ...resource,
      metadata: { ...resource.metadata, ...(revision === undefined ? {} : { revision }) },
    } as Resource;
    await client.put(collection, conditional);
    results.push({ kind: resource.kind, name, action: 'updated', changes });
  }
  return results;
}
