import { defineErrors } from './define.js';

/** Errors raised by audit sinks. An audit sink never drops an event silently: it fails with one of these. */
export const AUDIT_ERRORS = defineErrors({
  RMT_AUDIT_SINK_CLOSED: {
    category: 'unavailable',
    summary:
      'An event was emitted to (or a search run on) an audit sink after its close(); the event was not recorded.',
    hint: 'Emit to an open sink; the caller must treat the action as unaudited (and refuse it when audit is required).',
  },
  RMT_AUDIT_SINK_FULL: {
    category: 'unavailable',
    summary:
      'An audit sink reached its capacity and refused the event instead of dropping it or an older one.',
    hint: 'Raise the sink capacity, ship events to a durable sink, or flush/export and start a new sink.',
  },
  RMT_AUDIT_EVENT_INVALID: {
    category: 'input',
    summary: 'An audit event lacked an id, a time, or carried a code that does not belong to its type.',
    hint: 'Build events with createAuditEvent() so that the code and the time are filled in consistently.',
  },
  RMT_AUDIT_SEARCH_INVALID: {
    category: 'input',
    summary: 'An audit search had an invalid time range, limit or cursor.',
    hint: 'Pass ISO 8601 times with from before to, a limit between 1 and 1000, and a cursor from a previous result.',
  },
});
