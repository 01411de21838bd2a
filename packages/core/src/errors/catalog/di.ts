import { defineErrors } from './define.js';

/** Errors raised by the optional dependency-injection layer (`@remoteler/core/di`). */
export const DI_ERRORS = defineErrors({
  RMT_DI_NOT_REGISTERED: {
    category: 'internal',
    summary: 'A component asked the container for a token that nothing registered.',
    hint: 'Register a value or factory for the token (see details.token) before resolving it.',
  },
  RMT_DI_CONTAINER_DISPOSED: {
    category: 'internal',
    summary: 'A container was used after dispose().',
    hint: 'Create a new container with createContainer(); a disposed container never reopens.',
  },
});
