// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import type { ServerResponse } from 'node:http';
import { failure, statusErrors } from '../http/status.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { ResourceVersionTooOldError } from '../store/object-store.js';
import { typeKey } from './registry.js';
import { boolParam, includeObject, select } from './request-helpers.js';
import type { RequestInfo } from './request-info.js';
import { groupVersion, type KubeObject, type ResourceType } from './resource-types.js';
import { acceptsTable, toTable } from './table.js';

/** `?watch=true`: JSON lines per event from a resourceVersion (or the current objects first), selector-filtered, bookmarks on request, 410 Expired as an ERROR event (k8s-protocols §3). */
export function serveWatch(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  t: ResourceType,
  info: RequestInfo,
): undefined {
  const q = ctx.url.searchParams;
  const ns = t.namespaced ? info.namespace : undefined;
  const { items, match } = select(sim, t, ns, q);
  const rvParam = q.get('resourceVersion');
  const sendInitial = q.get('sendInitialEvents') === 'true';
  const bookmarks = boolParam(q, 'allowWatchBookmarks');
  const table = acceptsTable(req.headers.accept as string | undefined);
  const include = includeObject(q);
  if (rvParam && rvParam !== '0' && !/^\d+$/.test(rvParam))
    throw statusErrors.badRequest(`invalid resource version: ${rvParam}`);

  ctx.recordStatus(200, 'watch');
  (res as ServerResponse).writeHead(200, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
  });
  // Headers go out at once: a client awaits them before it reads a stream that may stay quiet.
  (res as ServerResponse).flushHeaders?.();
  let headersSent = false;
  const render = (object: KubeObject) => {
    if (!table) return object;
    const rendered = toTable(t, [object], {
      include,
      apiVersion: table,
      noHeaders: headersSent,
      listMeta: { resourceVersion: object.metadata?.resourceVersion },
    });
    headersSent = true;
    return rendered;
  };
  // One JSON document per event, newline-terminated and flushed at once (k8s-protocols §3.2).
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded && !res.destroyed)
      (res as ServerResponse).write(`${JSON.stringify({ type, object })}\n`);
  };

  let stop: (() => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    stop?.();
    for (const timer of timers) clearInterval(timer);
    untrack();
    if (!res.writableEnded) res.end();
  };
  const untrack = sim.track(end);
  res.on('close', end);

  const initial = !rvParam || rvParam === '0' || sendInitial;
  const from = initial ? sim.store.resourceVersion : Number(rvParam);
  if (initial) for (const o of items) write('ADDED', render(o));
  const bookmark = (annotations?: Record<string, string>) =>
    write('BOOKMARK', {
      kind: t.kind,
      apiVersion: groupVersion(t),
      metadata: {
        resourceVersion: String(sim.store.resourceVersion),
        ...(annotations ? { annotations } : {}),
      },
    });
  if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });

  try {
    stop = sim.store.watch(from, (event) => {
      if (event.typeKey !== typeKey(t)) return;
      if (ns !== undefined && event.namespace !== ns) return;
      // As the watch cache filters: an object that enters the selector is ADDED for this watcher,
      // one that leaves it is DELETED (apiserver storage/cacher `watchCacheEvent` prev/cur match).
      const now = match(event.object);
      const before = event.previous !== undefined && match(event.previous);
      if (event.type === 'MODIFIED' && event.previous !== undefined) {
        if (now && !before) write('ADDED', render(event.object));
        else if (!now && before) write('DELETED', render(event.object));
        else if (now) write('MODIFIED', render(event.object));
        return;
      }
      if (now) write(event.type, render(event.object));
    });
  } catch (error) {
    if (error instanceof ResourceVersionTooOldError) {
      write('ERROR', failure(410, 'Expired', error.message));
      end();
      return;
    }
    throw error;
  }
  // Bookmarks only when asked: an unrequested one shows up as a garbage row in `get -w` (§3.2).
  if (bookmarks) {
    const timer = setInterval(() => bookmark(), sim.bookmarkIntervalMs);
    timer.unref();
    timers.push(timer);
  }
  const timeout = Number(q.get('timeoutSeconds') ?? 0);
  if (timeout > 0) {
    const timer = setTimeout(end, timeout * 1000);
    timer.unref();
    timers.push(timer);
  }
}
