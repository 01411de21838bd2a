import { defineErrors } from './define.js';

/**
 * Errors of audit sinks that persist events outside the process (files, log pipelines): shared by
 * every durable sink, starting with the custom gateway example's JSON-lines sink.
 */
export const AUDIT_STORAGE_ERRORS = defineErrors({
  RMT_AUDIT_SINK_WRITE_FAILED: {
    category: 'unavailable',
    summary:
      'A durable audit sink could not open or write its storage (a full disk, a missing permission, a closed pipe); the event was not recorded.',
    hint: 'Fix the storage named in the message (free space, permissions of the file and its folder). Auth refused the login or change it could not audit, so it can be retried; the Proxy reports request and session events it could not record to its error handler.',
  },
});
