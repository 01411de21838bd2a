import {
  AUDIT_EVENT_CODES,
  type AuditEvent,
  type AuditEventFields,
  type AuditEventType,
  createAuditEvent,
} from '../types/audit-event.js';

const SESSION = {
  user: 'alice',
  sessionId: 'session-1',
  cluster: 'dev',
  namespace: 'default',
  pod: 'web-0',
  command: ['sh'],
  tty: true,
} as const;

const FIELDS: { readonly [T in AuditEventType]: AuditEventFields[T] } = {
  'login.success': { user: 'alice', connectorId: 'local', userType: 'local', roles: ['developer'] },
  'login.failure': { user: 'alice', connectorId: 'local', errorCode: 'RMT_AUTH_INVALID_CREDENTIALS' },
  'cert.issued': {
    user: 'alice',
    roles: ['developer'],
    serial: '01ab',
    notAfter: '2030-01-01T00:00:00.000Z',
  },
  'cert.reissued': {
    user: 'alice',
    roles: ['developer'],
    serial: '01ac',
    notAfter: '2030-01-01T00:00:00.000Z',
    kubernetesCluster: 'dev',
    previousSerial: '01ab',
  },
  'kube.request': {
    user: 'alice',
    cluster: 'dev',
    method: 'GET',
    path: '/api/v1/namespaces/default/pods',
    verb: 'list',
    resource: 'pods',
    namespace: 'default',
    allowed: true,
    status: 200,
    kubernetesUsers: ['alice'],
    kubernetesGroups: ['developers', 'system:authenticated'],
  },
  'session.start': { ...SESSION, protocol: 'v5.channel.k8s.io' },
  'session.end': { ...SESSION, exitCode: 0, recorded: true },
  exec: { ...SESSION, tty: false, command: ['ls', '-l'], exitCode: 0 },
  port_forward: {
    user: 'alice',
    cluster: 'dev',
    namespace: 'default',
    pod: 'web-0',
    ports: [8080],
    sessionId: 's-2',
  },
  'role.created': { user: 'admin', name: 'developer' },
  'role.updated': { user: 'admin', name: 'developer' },
  'role.deleted': { user: 'admin', name: 'developer' },
  'user.created': { user: 'admin', name: 'alice' },
  'user.updated': { user: 'admin', name: 'alice' },
  'user.deleted': { user: 'admin', name: 'alice' },
  'lock.created': {
    user: 'admin',
    name: 'lock-1',
    target: { user: 'mallory' },
    expires: '2030-01-01T00:00:00Z',
  },
  'lock.deleted': { user: 'admin', name: 'lock-1' },
  'kube_cluster.created': { user: 'admin', name: 'dev-1' },
  'kube_cluster.updated': { user: 'admin', name: 'dev-1' },
  'kube_cluster.deleted': { user: 'admin', name: 'dev-1' },
  'join_token.used': { tokenName: 'proxy-join', joinRole: 'proxy', hostId: 'proxy-1' },
  'join_token.created': {
    user: 'admin',
    tokenName: 'jt-0123456789abcdef',
    joinRole: 'proxy',
    expires: '2030-01-01T00:15:00.000Z',
  },
  'join_token.revoked': { user: 'admin', tokenName: 'jt-0123456789abcdef' },
  'host.renewed': {
    hostId: 'proxy-1',
    hostRole: 'proxy',
    serial: '0a1b2c',
    notAfter: '2030-01-02T00:00:00.000Z',
  },
};

/**
 * One well-formed event of every audit event type, at `now` (ms since the epoch; default
 * `Date.now()`), each `step` ms after the previous. For conformance suites and sink tests.
 */
export function sampleAuditEvents(now = Date.now(), step = 1): AuditEvent[] {
  return (Object.keys(AUDIT_EVENT_CODES) as AuditEventType[]).map(
    (type, index) => createAuditEvent(type, FIELDS[type] as never, { now: now + index * step }) as AuditEvent,
  );
}
