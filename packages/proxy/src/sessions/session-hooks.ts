import { randomUUID } from 'node:crypto';
import {
  type AuditEvent,
  type AuditSink,
  createAuditEvent,
  type RecordingChunk,
  type RecordingStore,
  type RecordingWriter,
  RemotelerError,
} from '@remoteler/core';
import {
  type ExecTapEvent,
  SpdyExecTap,
  SpdyStreamDecoder,
  WebSocketExecTap,
  WebSocketMessageParser,
} from '@remoteler/core/wire';
import type { ProxyExchange } from '../pipeline/exchange.js';
import type { RelayObserver } from './relay-observer.js';
import { describeSession, type SessionInfo } from './session-info.js';

/** What a session hook listener receives: stdin/stdout/stderr/resize/exit status as the relay saw them. */
export type SessionEvent = ExecTapEvent;

/** Options of {@link SessionHooks}. */
export interface SessionHooksOptions {
  /** Receives `session.start`, `session.end` and `port_forward` events. */
  readonly audit?: AuditSink;
  /** Records the output of TTY exec/attach sessions (stdout, stderr, resizes; never stdin). */
  readonly recordings?: RecordingStore;
  /** Called for every decoded event of an exec/attach session. Errors thrown go to `onError`. */
  readonly onSessionEvent?: (session: Readonly<SessionInfo>, event: SessionEvent) => void;
  /** Failures of the sink, the store or a listener, as `RMT_PROXY_AUDIT_FAILED` / `RMT_PROXY_RECORDING_FAILED`. */
  readonly onError: (error: unknown) => void;
  readonly now: () => Date;
  /**
   * Output bytes a session may have waiting for the recording store, in bytes. Default 8 MiB. A
   * store slower than the session past this is a failure (`RMT_PROXY_RECORDING_FAILED`, recording
   * aborted): the relay is never slowed down for it and memory stays bounded.
   */
  readonly maxPendingRecordingBytes?: number;
}

type Tap =
  | { readonly kind: 'websocket'; readonly tap: WebSocketExecTap }
  | { readonly kind: 'spdy'; readonly tap: SpdyExecTap }
  | {
      readonly kind: 'spdy-ports';
      readonly decoder: SpdyStreamDecoder;
      /** Present for the WebSocket tunnel: SPDY frames travel inside binary messages. */
      readonly tunnel?: WebSocketMessageParser;
    }
  | { readonly kind: 'none' };

function headerOf(head: string, name: string): string {
  const match = new RegExp(`\\r\\n${name}:[ \\t]*([^\\r\\n]*)`, 'i').exec(head);
  return match?.[1]?.trim() ?? '';
}

/**
 * Session audit and recording for one Proxy: builds a {@link RelayObserver} per upgrade exchange that
 * decodes the relayed bytes with core's read-only taps (WebSocketExecTap for channel.k8s.io, SpdyExecTap
 * for SPDY/3.1), emits `session.start` when the API server answers 101 and `session.end` (exit code,
 * whether recorded, duration) when both connections are closed, and records TTY output with offsets
 * from the start. Audit is never dropped silently: a failing sink is reported to `onError`.
 */
export class SessionHooks {
  readonly #options: SessionHooksOptions;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: SessionHooksOptions) {
    this.#options = options;
  }

  /** Whether any hook is configured (otherwise the relay needs no observer). */
  get enabled(): boolean {
    return Boolean(this.#options.audit || this.#options.recordings || this.#options.onSessionEvent);
  }

  /** Resolves when every audit event and recording write started so far has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #track<T>(promise: Promise<T>): Promise<T | undefined> {
    const tracked = promise.then(
      (value) => value,
      () => undefined,
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
    return promise;
  }

  #emit(event: AuditEvent): void {
    const sink = this.#options.audit;
    if (!sink) return;
    let emitted: Promise<void>;
    try {
      emitted = sink.emit(event);
    } catch (error) {
      emitted = Promise.reject(error);
    }
    this.#track(emitted).catch((cause: unknown) =>
      this.#options.onError(
        new RemotelerError('RMT_PROXY_AUDIT_FAILED', `the audit sink did not store the ${event.type} event`, {
          cause,
          details: { type: event.type, id: event.id },
        }),
      ),
    );
  }

  /** An observer for this upgrade exchange; it reads the exchange when the session is established. */
  observe(exchange: ProxyExchange): RelayObserver {
    const options = this.#options;
    let session: SessionInfo | undefined;
    let tap: Tap = { kind: 'none' };
    let clientChain = Promise.resolve();
    let serverChain = Promise.resolve();
    let exitCode: number | undefined;
    let writer: Promise<RecordingWriter | undefined> | undefined;
    let recordChain = Promise.resolve();
    let recordingFailed = false;
    let lastOffset = 0;
    let pendingBytes = 0;
    const maxPending = options.maxPendingRecordingBytes ?? 8 * 1024 * 1024;

    const recordingFailure = (cause: unknown) => {
      if (recordingFailed) return;
      recordingFailed = true;
      options.onError(
        new RemotelerError('RMT_PROXY_RECORDING_FAILED', 'the session recording failed and was aborted', {
          cause,
          details: { sessionId: session?.sessionId },
        }),
      );
    };
    const record = (chunk: RecordingChunk) => {
      if (!writer || recordingFailed) return;
      const size = chunk.kind === 'resize' ? 0 : chunk.data.length;
      if (pendingBytes + size > maxPending) {
        recordingFailure(
          new RemotelerError(
            'RMT_PROXY_RECORDING_FAILED',
            `the recording store fell ${maxPending} bytes behind`,
          ),
        );
        return;
      }
      pendingBytes += size;
      const pending = writer;
      recordChain = recordChain.then(async () => {
        const open = await pending;
        try {
          if (open && !recordingFailed) await open.write(chunk);
        } catch (error) {
          recordingFailure(error);
        } finally {
          pendingBytes -= size;
        }
      });
      this.#track(recordChain);
    };
    const offset = () => {
      // Offsets never decrease within a recording, even if the clock steps back.
      lastOffset = Math.max(lastOffset, options.now().getTime() - (session?.startedAt.getTime() ?? 0));
      return lastOffset;
    };
    const onEvents = (events: readonly ExecTapEvent[]) => {
      if (!session) return;
      for (const event of events) {
        if (event.kind === 'status' && event.outcome.exitCode !== undefined)
          exitCode = event.outcome.exitCode;
        // Output and resizes only: stdin may hold passwords typed at a prompt.
        if (event.kind === 'stdout' || event.kind === 'stderr')
          record({ kind: event.kind, offsetMs: offset(), data: event.data });
        // A 0x0 size means "unknown" (kubectl without a real terminal size); it is not a resize.
        else if (event.kind === 'resize' && event.size.width > 0 && event.size.height > 0)
          record({ kind: 'resize', offsetMs: offset(), columns: event.size.width, rows: event.size.height });
        if (options.onSessionEvent)
          try {
            options.onSessionEvent(session, event);
          } catch (error) {
            options.onError(error);
          }
      }
    };
    const tapFailed = (error: unknown) => {
      // A stream the tap cannot parse is still relayed (the API server judges it); only decoding stops.
      tap = { kind: 'none' };
      options.onError(error);
    };
    const feed = (fromClient: boolean, chunk: Buffer) => {
      const current = tap;
      if (current.kind === 'websocket') {
        try {
          onEvents(fromClient ? current.tap.fromClient(chunk) : current.tap.fromServer(chunk));
        } catch (error) {
          tapFailed(error);
        }
      } else if (current.kind === 'spdy') {
        // SPDY header blocks share one zlib stream per direction: chunks must be decoded in order.
        const step = () =>
          (fromClient ? current.tap.fromClient(chunk) : current.tap.fromServer(chunk)).then(
            onEvents,
            tapFailed,
          );
        if (fromClient) clientChain = clientChain.then(step);
        else serverChain = serverChain.then(step);
      } else if (current.kind === 'spdy-ports' && fromClient) {
        // The port of each forwarded connection is in the `port` header of the client's SYN_STREAMs.
        let spdyBytes: Buffer[] = [chunk];
        if (current.tunnel) {
          try {
            spdyBytes = current.tunnel
              .push(chunk)
              .flatMap((event) => (event.kind === 'message' ? [event.data] : []));
          } catch (error) {
            tapFailed(error);
            return;
          }
        }
        if (spdyBytes.length === 0) return;
        const bytes = spdyBytes.length === 1 ? spdyBytes[0]! : Buffer.concat(spdyBytes);
        clientChain = clientChain.then(() =>
          current.decoder.push(bytes).then((frames) => {
            for (const frame of frames) {
              if (frame.type !== 'syn_stream') continue;
              const port = Number(frame.headerBlock.port?.[0]);
              if (session && Number.isInteger(port) && port > 0 && !session.ports.includes(port))
                session.ports.push(port);
            }
          }, tapFailed),
        );
      }
    };

    return {
      established: (responseHead) => {
        const at = options.now();
        session = describeSession(exchange, randomUUID(), at);
        if (!session) return;
        const head = responseHead.toString('latin1');
        const websocket = /^websocket$/i.test(headerOf(head, 'upgrade'));
        session.protocol = websocket
          ? headerOf(head, 'sec-websocket-protocol')
          : `SPDY/3.1+${headerOf(head, 'x-stream-protocol-version') || 'portforward.k8s.io'}`;
        try {
          if (session.kind === 'portforward')
            // kubectl 1.30+ tunnels SPDY through a WebSocket (`SPDY/3.1+portforward.k8s.io`);
            // the channel-based WebSocket port-forward names its ports in the `ports=` query instead.
            tap =
              websocket && !session.protocol.startsWith('SPDY/3.1+portforward')
                ? { kind: 'none' }
                : {
                    kind: 'spdy-ports',
                    decoder: new SpdyStreamDecoder(),
                    ...(websocket && { tunnel: new WebSocketMessageParser() }),
                  };
          else
            tap = websocket
              ? { kind: 'websocket', tap: new WebSocketExecTap(session.protocol) }
              : { kind: 'spdy', tap: new SpdyExecTap() };
        } catch (error) {
          tapFailed(error);
        }
        const fields = sessionFields(session);
        this.#emit(
          createAuditEvent(
            'session.start',
            { ...fields, protocol: session.protocol },
            {
              now: at.getTime(),
              ...(exchange.clientAddress && { clientIp: exchange.clientAddress }),
            },
          ),
        );
        if (options.recordings && session.tty && session.kind !== 'portforward') {
          writer = this.#track(
            options.recordings.create({ ...fields, startedAt: at.toISOString() }).catch((error: unknown) => {
              recordingFailure(error);
              return undefined;
            }),
          );
        }
      },
      fromClient: (chunk) => feed(true, chunk),
      fromServer: (chunk) => feed(false, chunk),
      closed: () => {
        const current = session;
        if (!current) return;
        const finished = (async () => {
          await Promise.all([clientChain, serverChain]);
          if (tap.kind === 'spdy') tap.tap.close();
          if (tap.kind === 'spdy-ports') tap.decoder.close();
          const endedAt = options.now();
          let recorded = false;
          if (writer) {
            await recordChain;
            const open = await writer;
            if (open && !recordingFailed) {
              try {
                await open.finish({
                  endedAt: endedAt.toISOString(),
                  ...(exitCode !== undefined && { exitCode }),
                });
                recorded = true;
              } catch (error) {
                recordingFailure(error);
              }
            }
            if (open && !recorded) await open.abort(endedAt.toISOString()).catch(() => undefined);
            // An aborted recording still holds what was written: a partial session is evidence.
            recorded = open !== undefined;
          }
          const common = {
            now: endedAt.getTime(),
            ...(exchange.clientAddress && { clientIp: exchange.clientAddress }),
          };
          const end = {
            ...sessionFields(current),
            ...(exitCode !== undefined && { exitCode }),
            recorded,
            // Beyond the core field set: how long the session lasted, in ms.
            durationMs: endedAt.getTime() - current.startedAt.getTime(),
            ...(exchange.error && { errorCode: exchange.error.code }),
          };
          this.#emit(createAuditEvent('session.end', end, common));
          if (current.kind === 'portforward')
            this.#emit(
              createAuditEvent(
                'port_forward',
                {
                  user: current.user,
                  cluster: current.cluster,
                  namespace: current.namespace,
                  pod: current.pod,
                  ports: [...current.ports],
                  sessionId: current.sessionId,
                },
                common,
              ),
            );
        })();
        this.#track(finished).catch((error: unknown) => options.onError(error));
      },
    };
  }
}

function sessionFields(session: SessionInfo) {
  return {
    user: session.user,
    sessionId: session.sessionId,
    cluster: session.cluster,
    namespace: session.namespace,
    pod: session.pod,
    ...(session.container !== undefined && { container: session.container }),
    command: [...session.command],
    tty: session.tty,
  };
}
