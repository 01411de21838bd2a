import { isIP } from 'node:net';
import { parseWithSchema } from '@remoteler/core';
import { z } from 'zod';

// Bounds on every field: values reach certificates, audit events and logs.
const publicKey = z.string().min(1).max(8192);
const ttlSeconds = z
  .number()
  .int()
  .positive()
  .max(30 * 24 * 3600);
const name = z
  .string()
  .min(1)
  .max(253)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\u0000-\u001f\u007f-\u009f/]+$/u, 'must have no control characters and no "/"');
const hostId = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');
const dnsNames = z
  .array(
    z
      .string()
      .max(253)
      .regex(
        /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/,
        'must be a DNS name',
      ),
  )
  .max(32);
const ipAddresses = z
  .array(z.string().refine((ip) => isIP(ip) !== 0, 'must be an IPv4 or IPv6 literal'))
  .max(32);

export const ssoStartSchema = z.strictObject({
  connectorId: name,
  publicKey,
  codeChallenge: z.string().max(128),
  codeChallengeMethod: z.string().max(16),
  redirectUri: z.string().max(256),
  state: z.string().max(256),
  ttlSeconds: ttlSeconds.optional(),
});

export const ssoRedeemSchema = z.strictObject({
  code: z.string().min(1).max(256),
  codeVerifier: z.string().min(1).max(256),
  publicKey,
  redirectUri: z.string().max(256),
});

export const passwordLoginSchema = z.strictObject({
  connectorId: name.optional(),
  username: name,
  password: z.string().min(1).max(1024),
  publicKey,
  ttlSeconds: ttlSeconds.optional(),
  kubernetesCluster: name.optional(),
});

export const reissueSchema = z.strictObject({
  kubernetesCluster: name.optional(),
  ttlSeconds: ttlSeconds.optional(),
  roles: z.array(name).min(1).max(256).optional(),
});

export const createTokenSchema = z.strictObject({
  role: z.enum(['proxy', 'agent']),
  ttlSeconds: ttlSeconds.optional(),
});

export const joinSchema = z.strictObject({
  token: z.string().min(1).max(256),
  publicKey,
  hostId,
  role: z.enum(['proxy', 'agent']),
  dnsNames: dnsNames.optional(),
  ipAddresses: ipAddresses.optional(),
});

export const renewSchema = z.strictObject({
  publicKey,
  dnsNames: dnsNames.optional(),
  ipAddresses: ipAddresses.optional(),
});

/** Validates a request body; `RMT_AUTH_REQUEST_INVALID` lists every problem with its path (never the values). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  return parseWithSchema(schema, body, { code: 'RMT_AUTH_REQUEST_INVALID', subject: what });
}
