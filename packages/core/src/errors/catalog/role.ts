import { defineErrors } from './define.js';

/** Errors raised while reading role definitions and connector/trusted-cluster role mappings. */
export const ROLE_ERRORS = defineErrors({
  RMT_ROLE_INVALID: {
    category: 'input',
    summary:
      'A role definition did not validate; every problem is listed in details.problems with its path and, for YAML, its line.',
    hint: 'Fix each listed field (unknown fields, bad regexes and bad templates are refused) and load the role again.',
  },
  RMT_ROLE_MAPPING_INVALID: {
    category: 'input',
    summary:
      'A claims_to_roles or role_map entry did not validate (bad pattern, $N reference without a regex group, empty roles); every problem is listed with its path.',
    hint: 'Fix each listed mapping entry and load the connector or trusted cluster again.',
  },
});
