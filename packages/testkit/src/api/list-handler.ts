import { statusErrors } from '../http/status.js';
import type { AnyRequest, AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { includeObject, listKind, select, send } from './request-helpers.js';
import type { RequestInfo } from './request-info.js';
import type { KubeObject, ResourceType } from './resource-types.js';
import { acceptsTable, toTable } from './table.js';

interface ContinueToken {
  rv: number;
  start: string;
}

/** Lists a collection with selectors and `limit`/`continue` paging, as a List or a Table (k8s-protocols §2). */
export function serveList(
  sim: SimulatorContext,
  ctx: RequestContext,
  req: AnyRequest,
  res: AnyResponse,
  t: ResourceType,
  info: RequestInfo,
): undefined {
  const q = ctx.url.searchParams;
  const ns = t.namespaced ? info.namespace : undefined;
  const { items: all } = select(sim, t, ns, q);
  const limit = Number(q.get('limit') ?? 0);
  let start = '';
  let rv = sim.store.resourceVersion;
  const token = q.get('continue');
  if (token) {
    let parsed: ContinueToken;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    } catch {
      throw statusErrors.badRequest('continue key is not valid: illegal base64 data');
    }
    start = parsed.start;
    rv = parsed.rv;
  }
  const key = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  const remaining = all.filter((o) => key(o) > start);
  const page = limit > 0 ? remaining.slice(0, limit) : remaining;
  const more = limit > 0 && remaining.length > limit;
  const listMeta: Record<string, unknown> = { resourceVersion: String(rv) };
  if (more) {
    listMeta.continue = Buffer.from(
      JSON.stringify({ rv, start: key(page[page.length - 1]!) } satisfies ContinueToken),
    ).toString('base64url');
    listMeta.remainingItemCount = remaining.length - page.length;
  }
  const table = acceptsTable(req.headers.accept as string | undefined);
  if (table)
    return send(
      res,
      ctx,
      200,
      toTable(t, page, { include: includeObject(q), apiVersion: table, listMeta }),
      'application/json',
      'list',
    );
  send(res, ctx, 200, { ...listKind(t), metadata: listMeta, items: page }, 'application/json', 'list');
}
