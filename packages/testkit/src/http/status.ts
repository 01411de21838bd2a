/**
 * Kubernetes `Status` objects (k8s-protocols §12; apimachinery `pkg/api/errors/errors.go`). The
 * simulator answers every failure with one of these so that kubectl prints
 * `Error from server (<reason>): <message>` exactly as it does against a real API server.
 */
export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/** A `v1.Status` body. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly uid?: string;
    readonly causes?: readonly StatusCause[];
    readonly retryAfterSeconds?: number;
  };
  readonly code: number;
}

/** An error the request pipeline throws to answer with a Status. */
export class StatusError extends Error {
  readonly status: KubeStatus;
  constructor(status: KubeStatus) {
    super(status.message ?? status.reason ?? 'error');
    this.name = 'StatusError';
    this.status = status;
  }
}

/** Builds a Failure Status. */
export function failure(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** `<resource>[.<group>]`, the way apimachinery qualifies a resource in messages. */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** Constructors for the Status errors the simulator answers with, worded as apimachinery words them. */
export const statusErrors = {
  unauthorized: () => new StatusError(failure(401, 'Unauthorized', 'Unauthorized')),
  notFound: (resource: string, group: string, name: string) =>
    new StatusError(
      failure(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, {
        name,
        group,
        kind: resource,
      }),
    ),
  pathNotFound: () =>
    new StatusError(failure(404, 'NotFound', 'the server could not find the requested resource')),
  alreadyExists: (resource: string, group: string, name: string) =>
    new StatusError(
      failure(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, {
        name,
        group,
        kind: resource,
      }),
    ),
  conflict: (resource: string, group: string, name: string) =>
    new StatusError(
      failure(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group, kind: resource },
      ),
    ),
  badRequest: (message: string) => new StatusError(failure(400, 'BadRequest', message)),
  methodNotAllowed: (message = 'the server does not allow this method on the requested resource') =>
    new StatusError(failure(405, 'MethodNotAllowed', message)),
  unsupportedMediaType: (message: string) => new StatusError(failure(415, 'UnsupportedMediaType', message)),
  notAcceptable: (message: string) => new StatusError(failure(406, 'NotAcceptable', message)),
  expired: (message: string) => new StatusError(failure(410, 'Expired', message)),
  invalid: (kind: string, group: string, name: string, causes: readonly StatusCause[]) =>
    new StatusError(
      failure(
        422,
        'Invalid',
        `${qualified(kind, group)} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`,
        { name, group, kind, causes },
      ),
    ),
  internal: (message: string) =>
    new StatusError(failure(500, 'InternalError', `Internal error occurred: ${message}`)),
} as const;
