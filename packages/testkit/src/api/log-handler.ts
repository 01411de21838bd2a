// biome-ignore-all lint/suspicious/noExplicitAny: objects are free-form JSON
import type { ServerResponse } from 'node:http';
import { statusErrors } from '../http/status.js';
import type { AnyResponse } from '../server/dual-protocol-server.js';
import type { RequestContext, SimulatorContext } from '../simulator.js';
import { boolParam, send } from './request-helpers.js';
import { findResourceType } from './resource-types.js';

/** `pods/log`: a container's log as text, or a stream with `follow=true` that ends with the container or the pod. */
export function serveLogs(
  sim: SimulatorContext,
  ctx: RequestContext,
  res: AnyResponse,
  ns: string,
  name: string,
): undefined {
  const q = ctx.url.searchParams;
  const pod = sim.registry.get(findResourceType('', 'v1', 'pods')!, ns, name);
  const containers: string[] = ((pod.spec as any)?.containers ?? []).map((c: any) => c.name);
  let container = q.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) {
      throw statusErrors.badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    container = containers[0]!;
  }
  if (!containers.includes(container))
    throw statusErrors.badRequest(`container ${container} is not valid for pod ${name}`);
  if (boolParam(q, 'previous')) {
    throw statusErrors.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  }
  const tail = q.get('tailLines');
  const tailLines = tail === null ? undefined : Number(tail);
  if (tailLines !== undefined && !(Number.isInteger(tailLines) && tailLines >= 0)) {
    throw statusErrors.badRequest(`tailLines: Invalid value: ${tail}: must be greater than or equal to 0`);
  }
  const options = {
    ...(tailLines !== undefined ? { tailLines } : {}),
    timestamps: boolParam(q, 'timestamps'),
  };
  const text = sim.logs.read(ns, name, container, options);
  if (!boolParam(q, 'follow')) return send(res, ctx, 200, text, 'text/plain', 'get');

  ctx.recordStatus(200, 'get');
  (res as ServerResponse).writeHead(200, {
    'content-type': 'text/plain',
    'cache-control': 'no-cache, private',
  });
  // Headers go out at once: a client awaits them before it reads a stream that may stay quiet.
  (res as ServerResponse).flushHeaders?.();
  if (text) (res as ServerResponse).write(text);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    follower.stop();
    untrack();
    if (!res.writableEnded) res.end();
  };
  const follower = sim.logs.follow(
    ns,
    name,
    container,
    (chunk) => {
      if (!res.writableEnded) (res as ServerResponse).write(chunk);
    },
    end,
  );
  const untrack = sim.track(end);
  res.on('close', end);
}
