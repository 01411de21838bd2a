import { defineErrors } from './define.js';

/** Errors raised by identity connectors (the local user connector, and the shape SSO connectors reuse). */
export const CONNECTOR_ERRORS = defineErrors({
  RMT_AUTH_INVALID_CREDENTIALS: {
    category: 'unauthenticated',
    summary:
      'A password login failed. The same answer is given for an unknown user and a wrong password, so that it reveals nothing.',
    hint: 'Check the username and password and try again; repeated failures lock the account for a while.',
  },
  RMT_AUTH_LOCKED_OUT: {
    category: 'rate-limited',
    summary: 'Too many failed password logins for this user within the lockout window.',
    hint: 'Wait until the lockout ends (see details.retryAfterSeconds) or ask an administrator to reset it.',
  },
  RMT_AUTH_USER_DISABLED: {
    category: 'forbidden',
    summary: 'The credentials were right but the account is disabled.',
    hint: 'Ask an administrator to enable the account.',
  },
  RMT_AUTH_PASSWORD_HASH_INVALID: {
    category: 'input',
    summary:
      'A stored password hash is not a valid Remoteler scrypt hash string, or its parameters are unsafe.',
    hint: 'Generate the hash again with hashPassword() (PHC format $scrypt$ln=<n>,r=<r>,p=<p>$<salt>$<hash>) and put it in the configuration.',
  },
  RMT_CONNECTOR_CLOSED: {
    category: 'unavailable',
    summary: 'An identity connector was used after its close().',
    hint: 'Create a new connector instance; a closed connector never reopens.',
  },
  RMT_CONNECTOR_LOGIN_INVALID: {
    category: 'unauthenticated',
    summary:
      'A login callback did not match the login that was started (unknown, reused or tampered state, or an expired login).',
    hint: 'Start the login again from the beginning; each login attempt can be completed only once.',
  },
});
