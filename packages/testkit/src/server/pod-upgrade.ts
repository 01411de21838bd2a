import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { typeFor } from '../api/resource-types.js';
import type { RequestAttributes } from '../auth/rbac.js';
import type { UserInfo } from '../auth/user-info.js';
import { failure, type KubeStatus, statusErrors } from '../http/status.js';
import type { SimulatorContext } from '../simulator.js';
import { handlePodStreamUpgrade, type PodStreamServer } from '../streams/index.js';

/** What {@link routePodUpgrade} needs: the upgrade, the authenticated (impersonated) user, the simulator. */
export interface PodUpgradeInput {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly path: string;
  readonly user: UserInfo;
  readonly context: SimulatorContext;
  readonly podStreams: PodStreamServer;
  /** Records the answer's status (and the request's RBAC verb) once; later calls are ignored. */
  readonly recordStatus: (status: number, verb?: string) => void;
}

/**
 * An authenticated upgrade: only pods/exec, pods/attach and pods/portforward upgrade; RBAC on the
 * subresource; the pod must exist (404 Status before any protocol switch); then the streams
 * module speaks WebSocket or SPDY on the socket.
 */
export function routePodUpgrade(input: PodUpgradeInput): undefined {
  const { req, socket, head, path, user, context, podStreams } = input;
  // The request verb as RBAC names it: a WebSocket GET is `get`, a SPDY POST `create`.
  const requestVerb = req.method === 'GET' ? 'get' : 'create';
  const recordStatus = (status: number) => input.recordStatus(status, requestVerb);
  const answer = (status: number, body: KubeStatus | string): undefined => {
    recordStatus(status);
    writeRawAnswer(socket, status, body);
  };
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(path);
  if (!m) {
    return answer(
      400,
      statusErrors.badRequest(
        `upgrade requests are served only for pods/exec, pods/attach and pods/portforward, not ${path}`,
      ).status,
    );
  }
  const [, namespace = '', podName = '', subresource = ''] = m;
  // RBAC verb follows the method (SPDY POST = create, WebSocket GET = get); since 1.31 the
  // API server also requires `create` for a WebSocket GET (AuthorizePodWebsocketUpgradeCreatePermission).
  const verbs = req.method === 'GET' ? ['get', 'create'] : ['create'];
  for (const verb of verbs) {
    const attrs: RequestAttributes = {
      user: user,
      verb,
      resourceRequest: true,
      apiGroup: '',
      resource: 'pods',
      subresource,
      namespace,
      name: podName,
    };
    if (!context.authorize(attrs)) {
      return answer(
        403,
        failure(
          403,
          'Forbidden',
          `pods "${podName}" is forbidden: User "${user.name}" cannot ${verb} resource "pods/${subresource}" in API group "" in the namespace "${namespace}"`,
          {
            name: podName,
            kind: 'pods',
          },
        ),
      );
    }
  }
  const podType = typeFor('', 'pods')!;
  const pod = context.registry.find(podType, namespace, podName);
  if (!pod) return answer(404, statusErrors.notFound('pods', '', podName).status);
  const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map(
    (c) => c.name,
  );

  // Record the status line the streams module answers with (101, or its refusal).
  const sniff = (chunk: unknown) => {
    const text = Buffer.isBuffer(chunk)
      ? chunk.subarray(0, 16).toString('latin1')
      : typeof chunk === 'string'
        ? chunk.slice(0, 16)
        : '';
    const s = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (s) recordStatus(Number(s[1]));
  };
  const write = socket.write.bind(socket);
  const end = socket.end.bind(socket);
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    sniff(chunk);
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof socket.write;
  socket.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') sniff(chunk);
    return (end as (...a: unknown[]) => Duplex)(chunk, ...rest);
  }) as typeof socket.end;
  socket.once('close', () => recordStatus(0));

  handlePodStreamUpgrade(
    req,
    socket,
    head,
    {
      subresource: subresource as 'exec' | 'attach' | 'portforward',
      namespace,
      podName,
      containers,
      user: { name: user.name, groups: user.groups },
    },
    podStreams,
  );
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** Writes an HTTP/1.1 answer straight onto an upgrade socket and closes it. */
export function writeRawAnswer(socket: Duplex, status: number, body: KubeStatus | string): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
