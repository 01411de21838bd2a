import { defineErrors } from './define.js';

/** Errors raised by session recording stores and their writers. */
export const RECORDING_ERRORS = defineErrors({
  RMT_RECORDING_NOT_FOUND: {
    category: 'not-found',
    summary: 'No recording exists for the requested session id.',
    hint: 'List the recordings to find the session id; recordings are only listed once created.',
  },
  RMT_RECORDING_EXISTS: {
    category: 'conflict',
    summary: 'A recording was created for a session id that already has one.',
    hint: 'Use a fresh session id for every session; a recording is never overwritten.',
  },
  RMT_RECORDING_INVALID: {
    category: 'input',
    summary: 'The metadata given to create or finish a recording did not validate; every problem is listed.',
    hint: 'Fix each listed field (session id, cluster, user, pod, times) and try again.',
  },
  RMT_RECORDING_CHUNK_INVALID: {
    category: 'input',
    summary:
      'A recording chunk had a negative or decreasing time offset, an unknown stream, or an invalid size.',
    hint: 'Write chunks in time order with offsets in milliseconds since the start of the session.',
  },
  RMT_RECORDING_FINISHED: {
    category: 'conflict',
    summary:
      'A chunk was written to, or finish was called on, a recording that was already finished or aborted.',
    hint: 'Create a new recording for a new session; a finished recording is read-only.',
  },
  RMT_RECORDING_STORE_CLOSED: {
    category: 'unavailable',
    summary: 'A recording store or one of its writers was used after the store was closed.',
    hint: 'Create a new store instance; a closed store never reopens.',
  },
});
