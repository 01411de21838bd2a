import { defineErrors } from './define.js';

/** Errors raised by resource stores (roles, users, clusters, locks) and resource validation. */
export const STORE_ERRORS = defineErrors({
  RMT_STORE_NOT_FOUND: {
    category: 'not-found',
    summary: 'An update or delete named a resource that the store does not hold.',
    hint: 'List the resources to check the name, or create the resource first.',
  },
  RMT_STORE_ALREADY_EXISTS: {
    category: 'conflict',
    summary: 'A create named a resource that already exists.',
    hint: 'Use update (or upsert) to change an existing resource, or choose another name.',
  },
  RMT_STORE_REVISION_CONFLICT: {
    category: 'conflict',
    summary:
      'A write carried an expected revision that is no longer the stored one: someone else changed the resource first.',
    hint: 'Read the resource again, reapply your change to the current version and retry; nothing was written.',
  },
  RMT_STORE_INVALID: {
    category: 'input',
    summary:
      "A write carried a value that the store's validator refuses; every problem is listed with its path.",
    hint: 'Fix each listed field and write again; nothing was stored.',
  },
  RMT_STORE_CLOSED: {
    category: 'unavailable',
    summary: 'An operation was called on a store after its close().',
    hint: 'Create a new store instance; a closed store never reopens.',
  },
  RMT_RESOURCE_INVALID: {
    category: 'input',
    summary:
      'A resource (user, kube_cluster, lock…) read from YAML or JSON did not validate; every problem is listed with its path.',
    hint: 'Fix each listed field of the resource and load it again.',
  },
});
