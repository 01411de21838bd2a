import { defineErrors } from './define.js';

/** Errors raised by the core: configuration, stores, connectors, events. */
export const CORE_ERRORS = defineErrors({
  RMT_INTERNAL: {
    category: 'internal',
    summary: 'An unexpected failure inside Remoteler.',
    hint: 'Report it with the request id from the logs; nothing was changed.',
  },
  RMT_CONFIG_INVALID: {
    category: 'input',
    summary: 'Options or a configuration file did not validate; every problem is listed with its path.',
    hint: 'Fix each listed field and start again.',
  },
});
