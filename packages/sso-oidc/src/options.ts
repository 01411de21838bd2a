import { type Clock, parseOptions } from '@remoteler/core';
import { z } from 'zod';

/**
 * The fetch an OIDC connector uses for every request to the provider (discovery, JWKS, token,
 * userinfo): the shape of openid-client 6's `customFetch`.
 */
export type OidcFetch = (url: string, init: OidcFetchInit) => Promise<Response>;

/** What openid-client passes to an {@link OidcFetch}. */
export interface OidcFetchInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
  readonly redirect: 'manual';
  readonly signal?: AbortSignal | null;
}

/** Options of {@link OidcConnector}; validated once at construction, then frozen. */
export interface OidcConnectorOptions {
  /** Connector id, unique within one Auth service; appears in certificates and audit events. */
  readonly id: string;
  /** Shown on login pages and in `remoteler login`. Default `OpenID Connect`. */
  readonly displayName?: string;
  /**
   * The issuer identifier, exactly as the provider publishes it (`https://…`, no query or fragment).
   * Discovery reads `<issuer>/.well-known/openid-configuration` and refuses a document naming
   * another issuer.
   */
  readonly issuer: string;
  /** The client id registered at the provider for this Auth service. */
  readonly clientId: string;
  /**
   * The client secret, sent with `client_secret_basic` (RFC 6749 §2.3.1). Omit for a public client:
   * the code is then bound by PKCE alone (`token_endpoint_auth_method: none`).
   */
  readonly clientSecret?: string;
  /** Scopes to request; `openid` is always added. Default `openid email profile`. */
  readonly scopes?: readonly string[];
  /**
   * The claim that becomes the Remoteler username. Default `email`. Must be a string without
   * control characters, at most 255 characters.
   */
  readonly usernameClaim?: string;
  /**
   * Whether to also read the userinfo endpoint (when the provider has one) and add its claims to
   * those of the ID token (the ID token wins where both have a claim). Default true.
   */
  readonly userinfo?: boolean;
  /**
   * PEM certificates trusted for the provider's TLS, replacing the system roots for this connector
   * only (a private or test CA). Default: Node's system roots.
   */
  readonly ca?: string | readonly string[];
  /** Replaces the HTTP client (and `ca`); for proxies and tests. Default: undici 7 fetch with an own Agent. */
  readonly fetch?: OidcFetch;
  /** Timeout of each request to the provider, in milliseconds. Default 10 000. */
  readonly requestTimeoutMs?: number;
  /** How long a started login may take until its callback, in milliseconds. Default 600 000 (10 min). */
  readonly loginTimeoutMs?: number;
  /** Tolerated clock difference with the provider for `exp`/`iat`/`nbf`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number;
  /**
   * Milliseconds since the epoch, for login expiry. ID token timestamps are checked against the
   * system clock shifted by this clock's offset as sampled at discovery. Default `Date.now`.
   */
  readonly clock?: Clock;
}

/** Parsed options with defaults applied. */
export interface ResolvedOidcConnectorOptions {
  readonly id: string;
  readonly displayName: string;
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly scopes: readonly string[];
  readonly usernameClaim: string;
  readonly userinfo: boolean;
  readonly ca: readonly string[] | undefined;
  readonly fetch: OidcFetch | undefined;
  readonly requestTimeoutMs: number;
  readonly loginTimeoutMs: number;
  readonly clockToleranceSeconds: number;
  readonly clock: Clock;
}

const issuerUrl = z.string().refine((value) => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  // OpenID Connect Discovery 1.0 §3: the issuer is an https URL without query or fragment.
  return url.protocol === 'https:' && url.search === '' && url.hash === '' && url.username === '';
}, 'an https URL without query, fragment or user info');

/** The options schema of {@link OidcConnector}, exported so that hosts can validate configuration early. */
export const oidcConnectorOptionsSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ -'),
    displayName: z.string().min(1).max(100).optional(),
    issuer: issuerUrl,
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'an RFC 6749 §3.3 scope token'))
      .optional(),
    usernameClaim: z.string().min(1).optional(),
    userinfo: z.boolean().optional(),
    ca: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    fetch: z.custom<OidcFetch>((value) => typeof value === 'function', 'a function').optional(),
    requestTimeoutMs: z.number().int().positive().optional(),
    loginTimeoutMs: z.number().int().positive().optional(),
    clockToleranceSeconds: z.number().int().min(0).max(600).optional(),
    clock: z.custom<Clock>((value) => typeof value === 'function', 'a function').optional(),
  })
  .strict();

/** Validates connector options (every problem at once, `RMT_CONFIG_INVALID`) and applies defaults. */
export function resolveOidcConnectorOptions(input: OidcConnectorOptions): ResolvedOidcConnectorOptions {
  const parsed = parseOptions(oidcConnectorOptionsSchema, input, 'OidcConnector options');
  const scopes = ['openid', ...(parsed.scopes ?? ['email', 'profile']).filter((s) => s !== 'openid')];
  return Object.freeze({
    id: parsed.id,
    displayName: parsed.displayName ?? 'OpenID Connect',
    issuer: new URL(parsed.issuer),
    clientId: parsed.clientId,
    clientSecret: parsed.clientSecret,
    scopes: Object.freeze([...new Set(scopes)]),
    usernameClaim: parsed.usernameClaim ?? 'email',
    userinfo: parsed.userinfo ?? true,
    ca:
      parsed.ca === undefined
        ? undefined
        : Object.freeze(typeof parsed.ca === 'string' ? [parsed.ca] : [...parsed.ca]),
    fetch: parsed.fetch,
    requestTimeoutMs: parsed.requestTimeoutMs ?? 10_000,
    loginTimeoutMs: parsed.loginTimeoutMs ?? 600_000,
    clockToleranceSeconds: parsed.clockToleranceSeconds ?? 30,
    clock: parsed.clock ?? Date.now,
  });
}
