import { randomUUID } from 'node:crypto';
import { RemotelerError } from '../errors/remoteler-error.js';
import type { UserType } from './identity.js';

/**
 * The stable code of every audit event type. Codes never change meaning and are never reused, so
 * SIEM rules can key on them. Shape `R<area><nn><severity>`: four digits (1xxx login, 2xxx
 * certificates, 3xxx Kubernetes requests, 4xxx sessions, 5xxx resource changes, 6xxx joins) and
 * `I` (information) or `W` (warning: a refusal or failure worth a look).
 */
export const AUDIT_EVENT_CODES = Object.freeze({
  'login.success': 'R1000I',
  'login.failure': 'R1001W',
  'cert.issued': 'R2000I',
  'cert.reissued': 'R2001I',
  'kube.request': 'R3000I',
  'session.start': 'R4000I',
  'session.end': 'R4001I',
  exec: 'R4002I',
  port_forward: 'R4003I',
  'role.created': 'R5000I',
  'role.updated': 'R5001I',
  'role.deleted': 'R5002I',
  'user.created': 'R5100I',
  'user.updated': 'R5101I',
  'user.deleted': 'R5102I',
  'lock.created': 'R5200I',
  'lock.deleted': 'R5201I',
  'kube_cluster.created': 'R5300I',
  'kube_cluster.updated': 'R5301I',
  'kube_cluster.deleted': 'R5302I',
  'join_token.used': 'R6000I',
  'join_token.created': 'R6001I',
  'join_token.revoked': 'R6002I',
  'host.renewed': 'R6003I',
} as const);

/** Every audit event type, e.g. `kube.request`. */
export type AuditEventType = keyof typeof AUDIT_EVENT_CODES;

/** The code of an event type, e.g. `R3000I` for `kube.request`. */
export type AuditEventCode<T extends AuditEventType = AuditEventType> = (typeof AUDIT_EVENT_CODES)[T];

/** Fields every audit event has. Events never carry secrets (tokens, keys, passwords, cookies). */
export interface AuditEventCommon<T extends AuditEventType> {
  /** Unique event id (a UUID). */
  readonly id: string;
  readonly type: T;
  readonly code: AuditEventCode<T>;
  /** RFC 3339 UTC time with milliseconds. */
  readonly time: string;
  /** The Remoteler user who acted (for resource changes: the admin). Absent when unknown. */
  readonly user?: string;
  /** The client address as the Proxy or Auth service saw it. */
  readonly clientIp?: string;
}

/** The fields specific to each event type. */
export interface AuditEventFields {
  'login.success': {
    readonly user: string;
    readonly connectorId: string;
    readonly userType: UserType;
    readonly roles: readonly string[];
  };
  'login.failure': {
    /** The name that was tried, when one was given. */
    readonly user?: string;
    readonly connectorId: string;
    /** The `RMT_…` code the login failed with. */
    readonly errorCode: string;
  };
  'cert.issued': CertificateFields;
  'cert.reissued': CertificateFields & {
    /** Serial of the certificate the reissue was authorized by. */
    readonly previousSerial?: string;
  };
  'kube.request': {
    readonly user: string;
    readonly cluster: string;
    readonly method: string;
    readonly path: string;
    /** Kubernetes verb (`get`, `list`, `watch`, `exec`…), derived as the API server would. */
    readonly verb: string;
    readonly apiGroup?: string;
    readonly resource?: string;
    readonly subresource?: string;
    readonly namespace?: string;
    readonly name?: string;
    /** Whether the policy engine allowed the request. */
    readonly allowed: boolean;
    /** HTTP status returned to the client. */
    readonly status: number;
    readonly kubernetesUsers: readonly string[];
    readonly kubernetesGroups: readonly string[];
    /** The `RMT_…` code when Remoteler refused or failed the request. */
    readonly errorCode?: string;
    readonly requestId?: string;
  };
  'session.start': SessionFields & {
    /** The negotiated protocol, e.g. `v5.channel.k8s.io` or `SPDY/3.1+portforward.k8s.io`. */
    readonly protocol: string;
  };
  'session.end': SessionFields & {
    readonly exitCode?: number;
    /** Whether a recording of the session exists. */
    readonly recorded: boolean;
  };
  exec: SessionFields & { readonly exitCode?: number };
  port_forward: {
    readonly user: string;
    readonly cluster: string;
    readonly namespace: string;
    readonly pod: string;
    readonly ports: readonly number[];
    readonly sessionId: string;
  };
  'role.created': ResourceChangeFields;
  'role.updated': ResourceChangeFields;
  'role.deleted': ResourceChangeFields;
  'user.created': ResourceChangeFields;
  'user.updated': ResourceChangeFields;
  'user.deleted': ResourceChangeFields;
  'lock.created': ResourceChangeFields & {
    readonly target: Readonly<Record<string, string>>;
    readonly expires?: string;
  };
  'lock.deleted': ResourceChangeFields;
  'kube_cluster.created': ResourceChangeFields;
  'kube_cluster.updated': ResourceChangeFields;
  'kube_cluster.deleted': ResourceChangeFields;
  'join_token.created': {
    /** The admin (or the operator's tool) that created it. */
    readonly user: string;
    /** The token's name, never its secret value. */
    readonly tokenName: string;
    readonly joinRole: string;
    /** RFC 3339 expiry of the token. */
    readonly expires: string;
  };
  'join_token.revoked': {
    readonly user: string;
    readonly tokenName: string;
  };
  'host.renewed': {
    readonly hostId: string;
    /** `proxy`, `agent`, `auth`… */
    readonly hostRole: string;
    /** Hex serial number of the new host certificate. */
    readonly serial: string;
    /** RFC 3339 expiry of the new host certificate. */
    readonly notAfter: string;
  };
  'join_token.used': {
    /** The token's name, never its secret value. */
    readonly tokenName: string;
    /** What joined: `proxy`, `kube_agent`, `auth`… */
    readonly joinRole: string;
    readonly hostId?: string;
  };
}

/** Fields of certificate events. */
export interface CertificateFields {
  readonly user: string;
  readonly roles: readonly string[];
  /** Hex serial number of the new certificate. */
  readonly serial: string;
  /** RFC 3339 expiry of the new certificate. */
  readonly notAfter: string;
  readonly kubernetesCluster?: string;
  readonly sessionId?: string;
}

/** Fields of interactive session events (exec, attach). */
export interface SessionFields {
  readonly user: string;
  readonly sessionId: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
  readonly command: readonly string[];
  readonly tty: boolean;
}

/** Fields of role/user/lock change events. `user` is the admin who made the change. */
export interface ResourceChangeFields {
  readonly user: string;
  /** The name of the resource changed. */
  readonly name: string;
}

/** The audit event of one type. */
export type AuditEventOf<T extends AuditEventType> = AuditEventCommon<T> & AuditEventFields[T];

/** Any audit event: a union discriminated by `type` (and, equivalently, by `code`). */
export type AuditEvent = { [T in AuditEventType]: AuditEventOf<T> }[AuditEventType];

/** Options for {@link createAuditEvent}. */
export interface CreateAuditEventOptions {
  /** Milliseconds since the epoch; default `Date.now()`. */
  readonly now?: number;
  /** Default: a random UUID. */
  readonly id?: string;
  readonly clientIp?: string;
}

/** Builds an event of `type`, filling in its code, a fresh id and the time. */
export function createAuditEvent<T extends AuditEventType>(
  type: T,
  fields: AuditEventFields[T],
  options: CreateAuditEventOptions = {},
): AuditEventOf<T> {
  return {
    ...fields,
    id: options.id ?? randomUUID(),
    type,
    code: AUDIT_EVENT_CODES[type],
    time: new Date(options.now ?? Date.now()).toISOString(),
    ...(options.clientIp === undefined ? {} : { clientIp: options.clientIp }),
  } as AuditEventOf<T>;
}

/**
 * Checks the envelope of an event before a sink stores it: a known type, the code that belongs to
 * it, a non-empty id and a parseable time. Throws `RMT_AUDIT_EVENT_INVALID`.
 */
export function assertAuditEvent(event: unknown): asserts event is AuditEvent {
  const candidate = event as Partial<AuditEventCommon<AuditEventType>> | null;
  const problems: string[] = [];
  if (typeof candidate !== 'object' || candidate === null) problems.push('the event is not an object');
  else {
    const type = candidate.type;
    if (typeof type !== 'string' || !Object.hasOwn(AUDIT_EVENT_CODES, type))
      problems.push(`unknown type ${JSON.stringify(type)}`);
    else if (candidate.code !== AUDIT_EVENT_CODES[type])
      problems.push(`code ${JSON.stringify(candidate.code)} does not belong to type ${type}`);
    if (typeof candidate.id !== 'string' || candidate.id === '') problems.push('id is missing');
    if (typeof candidate.time !== 'string' || Number.isNaN(Date.parse(candidate.time)))
      problems.push('time is not an RFC 3339 timestamp');
  }
  if (problems.length > 0)
    throw new RemotelerError('RMT_AUDIT_EVENT_INVALID', `audit event refused: ${problems.join('; ')}`, {
      details: { problems },
    });
}
