// tsyringe needs the Reflect metadata API before it is evaluated.
import 'reflect-metadata';
import { type AuditEventOf, type AuditSink, createAuditEvent, RemotelerError } from '@remoteler/core';
import { AUDIT_SINK } from '@remoteler/core/di';
import type { ProxyAuditEvent } from '@remoteler/proxy';
import { inject, injectable } from 'tsyringe';
import { ERROR_HANDLER } from './tokens.js';

/**
 * Records every exchange the Proxy ends (answered, refused or cut) as a `kube.request` audit event
 * in the {@link AUDIT_SINK}. The Proxy's `onAudit` hook is synchronous, so the emit runs in the
 * background; a sink that refuses the event is reported to {@link ERROR_HANDLER}, never ignored.
 *
 * Resolved by tsyringe from `@inject(TOKEN.key)` on every constructor parameter: esbuild (tsup)
 * does not emit `design:paramtypes` metadata, so the tokens must be explicit.
 */
@injectable()
export class ProxyAuditBridge {
  readonly #sink: AuditSink;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Set<Promise<void>>();

  constructor(
    @inject(AUDIT_SINK.key) sink: AuditSink,
    @inject(ERROR_HANDLER.key) onError: (error: unknown) => void,
  ) {
    this.#sink = sink;
    this.#onError = onError;
  }

  /** The Proxy's `onAudit` hook. */
  readonly record = (event: ProxyAuditEvent): void => {
    const emitted = this.#sink.emit(toKubeRequestEvent(event)).catch((error: unknown) => {
      this.#onError(
        RemotelerError.is(error)
          ? error
          : new RemotelerError('RMT_INTERNAL', 'the audit sink failed to record a Kubernetes request', {
              cause: error,
            }),
      );
    });
    this.#pending.add(emitted);
    void emitted.finally(() => this.#pending.delete(emitted));
  };

  /** Waits for the events already handed to the sink. Idempotent; the sink itself stays open. */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }
}

/**
 * Maps the Proxy's exchange record to the core `kube.request` event. `user` and `cluster` are empty
 * when the request was refused before they were known (no client certificate: 401; no route: 404).
 */
export function toKubeRequestEvent(event: ProxyAuditEvent): AuditEventOf<'kube.request'> {
  const cluster = event.cluster ?? '';
  return createAuditEvent(
    'kube.request',
    {
      user: event.username ?? '',
      cluster,
      method: event.method,
      path: event.path,
      // The Proxy's own reading of the request (query included, so a watch is `watch`); a request
      // refused before it was read (no certificate, no route) has none: the method stands in.
      verb: event.verb ?? event.method.toLowerCase(),
      ...(event.resource !== undefined && {
        apiGroup: event.apiGroup ?? '',
        resource: event.resource,
        ...(event.subresource && { subresource: event.subresource }),
        ...(event.namespace && { namespace: event.namespace }),
        ...(event.name && { name: event.name }),
      }),
      // The impersonated principals exist only once authorize and impersonate let it through; an
      // upstream failure after that (502) was still allowed, and carries its errorCode.
      allowed: event.kubernetesUser !== undefined,
      // 0: the connection ended before any status was sent.
      status: event.status ?? 0,
      kubernetesUsers: event.kubernetesUser === undefined ? [] : [event.kubernetesUser],
      kubernetesGroups: [...(event.kubernetesGroups ?? [])],
      ...(event.errorCode && { errorCode: event.errorCode }),
    },
    {
      now: event.startedAt.getTime(),
      ...(event.clientAddress && { clientIp: event.clientAddress }),
    },
  );
}
