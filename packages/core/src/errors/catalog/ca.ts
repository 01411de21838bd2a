import { defineErrors } from './define.js';

/** Errors raised by the certificate authorities (`@remoteler/ca`): issuing, key storage, decoding. */
export const CA_ERRORS = defineErrors({
  RMT_CA_PUBLIC_KEY_MALFORMED: {
    category: 'input',
    summary: 'The public key given for a certificate is not a parseable SPKI (PEM or DER) or JWK public key.',
    hint: 'Send the public key as SPKI PEM ("-----BEGIN PUBLIC KEY-----"), SPKI DER, a public JWK, or a CSR.',
  },
  RMT_CA_PUBLIC_KEY_UNSUPPORTED: {
    category: 'input',
    summary:
      'The public key is of a type or size the CA does not certify (only EC P-256/P-384, Ed25519 and RSA of 2048 bits or more are).',
    hint: 'Generate an ECDSA P-256 key pair (the default of every Remoteler client) and ask again.',
  },
  RMT_CA_CSR_MALFORMED: {
    category: 'input',
    summary:
      'The certificate signing request is not a parseable PKCS#10 request, or uses an unknown signature algorithm.',
    hint: 'Send a PKCS#10 CSR in PEM ("-----BEGIN CERTIFICATE REQUEST-----") or DER, signed with the key it carries.',
  },
  RMT_CA_CSR_SIGNATURE_INVALID: {
    category: 'input',
    summary:
      "The CSR's signature does not verify with the public key it carries, so it does not prove possession of the private key.",
    hint: 'Create the CSR again with the private key that matches its public key; do not edit a signed CSR.',
  },
  RMT_CA_TTL_INVALID: {
    category: 'input',
    summary: 'The requested certificate lifetime is zero, negative or not a finite number of milliseconds.',
    hint: 'Ask for a positive lifetime in milliseconds, no longer than the roles allow.',
  },
  RMT_CA_TTL_EXCEEDS_CAP: {
    category: 'input',
    summary: "The requested certificate lifetime is longer than the roles' max_session_ttl allows.",
    hint: 'Ask for a lifetime within the cap named in the message, or have an administrator raise max_session_ttl.',
  },
  RMT_CA_USERNAME_INVALID: {
    category: 'input',
    summary: 'The username to certify is empty or contains control characters.',
    hint: 'Use a username without control characters (no newlines, tabs or escape sequences).',
  },
  RMT_CA_ROLES_EMPTY: {
    category: 'input',
    summary: 'A user certificate was requested without any role.',
    hint: 'Assign at least one role to the user (directly or through claims_to_roles) before issuing a certificate.',
  },
  RMT_CA_IDENTITY_FIELD_INVALID: {
    category: 'input',
    summary:
      'A field of the identity or host to certify (a role, trait, cluster, host id, SAN…) is empty where a value is needed or contains control characters.',
    hint: 'Fix the field named in the details; values must be non-empty text without control characters.',
  },
  RMT_CA_ALGORITHM_UNSUPPORTED: {
    category: 'input',
    summary: 'A CA key algorithm was asked for that the CA does not support.',
    hint: 'Choose one of ecdsa-p256 (the default), ed25519 or rsa-2048.',
  },
  RMT_CA_KIND_MISMATCH: {
    category: 'input',
    summary:
      'A user-CA operation was asked of the host CA (or the reverse), or a trust bundle of the other kind was given.',
    hint: 'Issue and verify user certificates with the user CA and host certificates with the host CA; they never share bundles.',
  },
  RMT_CA_ROTATION_STATE_INVALID: {
    category: 'conflict',
    summary:
      'A rotation step was asked for out of order (switch before start, finish before switch, start during a rotation).',
    hint: 'Check the rotation phase and run the steps in order: start, switch signing, finish.',
  },
  RMT_CA_KEY_FILE_PERMISSIONS: {
    category: 'forbidden',
    summary:
      'A CA key file or its directory can be read or written by users other than its owner, so the key was not loaded.',
    hint: 'Restrict it (chmod 600 on the file, chmod 700 on the directory), consider the key exposed and rotate the CA.',
  },
  RMT_CA_KEY_STORE_CORRUPT: {
    category: 'internal',
    summary: 'Stored CA key material could not be read or does not have the expected shape.',
    hint: 'Restore the CA key file from a backup; never delete it while certificates it signed are in use.',
  },
  RMT_CA_KEY_STORE_CONFLICT: {
    category: 'conflict',
    summary:
      'The stored CA changed since this instance read it (another replica created or rotated it), so the write was refused.',
    hint: 'Reload the CA (reload()) to pick up the other change, then repeat the step if it is still needed.',
  },
  RMT_CA_BUNDLE_INVALID: {
    category: 'input',
    summary:
      'A trust bundle is empty, does not parse, or holds a certificate that is not a Remoteler CA of the expected kind.',
    hint: "Use the PEM exported by the authority's trustBundlePem() for this kind of CA.",
  },
  RMT_CA_CERT_MALFORMED: {
    category: 'unauthenticated',
    summary: 'The presented certificate does not parse as an X.509 certificate.',
    hint: 'Log in again to get a fresh certificate (remoteler login).',
  },
  RMT_CA_CERT_UNTRUSTED: {
    category: 'unauthenticated',
    summary:
      'The certificate was not signed by any CA of the trusted bundle (a foreign CA, the other kind of CA, a removed CA, or a tampered certificate).',
    hint: 'Log in again to get a certificate from the current CA (remoteler login).',
  },
  RMT_CA_CERT_EXPIRED: {
    category: 'unauthenticated',
    summary: 'The certificate (or the CA that signed it) is past its NotAfter time.',
    hint: 'Log in again to get a fresh certificate (remoteler login).',
  },
  RMT_CA_CERT_NOT_YET_VALID: {
    category: 'unauthenticated',
    summary: 'The certificate (or the CA that signed it) is not valid before its NotBefore time.',
    hint: 'Check the clocks of the client and the server (NTP); certificates already allow one minute of skew.',
  },
  RMT_CA_CERT_WRONG_USAGE: {
    category: 'unauthenticated',
    summary:
      'The certificate is meant for another use: a host certificate offered as a user one (or the reverse), a wrong OU=usage marking, or a missing clientAuth/serverAuth purpose.',
    hint: 'Present a user certificate from remoteler login to the Proxy, and host certificates only between Remoteler services.',
  },
  RMT_CA_IDENTITY_MISSING: {
    category: 'unauthenticated',
    summary: 'The certificate carries no Remoteler identity extension.',
    hint: 'Log in again to get a Remoteler certificate (remoteler login).',
  },
  RMT_CA_IDENTITY_DUPLICATED: {
    category: 'unauthenticated',
    summary:
      'The certificate carries the identity extension more than once (RFC 5280 §4.2 forbids repeated extensions).',
    hint: 'The certificate was not made by Remoteler; log in again to get a valid one.',
  },
  RMT_CA_IDENTITY_CRITICAL: {
    category: 'unauthenticated',
    summary:
      'The identity extension is marked critical; Remoteler always issues it non-critical so that other TLS stacks accept it.',
    hint: 'The certificate was not made by this Remoteler version; log in again to get a valid one.',
  },
  RMT_CA_IDENTITY_VERSION_UNSUPPORTED: {
    category: 'unauthenticated',
    summary: 'The identity extension has a version this Remoteler release does not understand.',
    hint: 'Upgrade the Proxy to the release of the Auth service that issued the certificate, or log in again.',
  },
  RMT_CA_IDENTITY_MALFORMED: {
    category: 'unauthenticated',
    summary: 'The identity extension or host extension does not decode as the expected ASN.1 structure.',
    hint: 'Log in again to get a fresh certificate (remoteler login).',
  },
  RMT_CA_IDENTITY_INCOMPLETE: {
    category: 'unauthenticated',
    summary: 'The identity in the certificate lacks a username or roles.',
    hint: 'Log in again; if it persists, check that the user has roles.',
  },
  RMT_CA_IDENTITY_INCONSISTENT: {
    category: 'unauthenticated',
    summary: "The certificate's subject (CN=username, O=roles) disagrees with its identity extension.",
    hint: 'The certificate was not made by Remoteler; log in again to get a valid one.',
  },
});
