/**
 * Watches the bytes an upgrade relay passes through, without changing them. The relay calls
 * `established` once with the API server's 101 response head, then `fromClient`/`fromServer` with
 * every chunk after the heads in wire order, then `closed` once when both connections are gone.
 * Implementations must not throw and must not hold the relay up (they are called synchronously).
 */
export interface RelayObserver {
  established(responseHead: Buffer): void;
  fromClient(chunk: Buffer): void;
  fromServer(chunk: Buffer): void;
  closed(): void;
}
