import { describe, expect, it } from 'vitest';
import { RemotelerError } from '../../src/index.js';
import { parseKubeRequest } from '../../src/policy/index.js';

type Expected = Partial<ReturnType<typeof parseKubeRequest>>;

const cases: Array<[string, string, string, Expected]> = [
  [
    'GET',
    '/api/v1/namespaces/default/pods',
    '',
    { verb: 'list', resource: 'pods', namespace: 'default', name: '' },
  ],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=1', { verb: 'watch' }],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=false', { verb: 'list' }],
  ['GET', '/api/v1/namespaces/default/pods/web-0', '', { verb: 'get', name: 'web-0', subresource: '' }],
  ['HEAD', '/api/v1/namespaces/default/pods/web-0', '', { verb: 'get', name: 'web-0' }],
  [
    'GET',
    '/api/v1/pods',
    '',
    { verb: 'list', namespace: '', resource: 'pods', apiGroup: '', apiVersion: 'v1' },
  ],
  [
    'GET',
    '/api/v1/watch/namespaces/default/pods',
    '',
    { verb: 'watch', namespace: 'default', resource: 'pods' },
  ],
  ['GET', '/api/v1/watch/pods', '', { verb: 'watch', namespace: '', resource: 'pods' }],
  ['POST', '/api/v1/namespaces/default/pods', '', { verb: 'create', name: '' }],
  ['PUT', '/api/v1/namespaces/default/pods/web-0', '', { verb: 'update', name: 'web-0' }],
  ['PATCH', '/api/v1/namespaces/default/pods/web-0', '', { verb: 'patch' }],
  ['DELETE', '/api/v1/namespaces/default/pods/web-0', '', { verb: 'delete', name: 'web-0' }],
  ['DELETE', '/api/v1/namespaces/default/pods', '', { verb: 'deletecollection', name: '' }],
  [
    'GET',
    '/api/v1/namespaces/default/pods/web-0/exec',
    'command=sh',
    { verb: 'exec', subresource: 'exec', name: 'web-0' },
  ],
  ['POST', '/api/v1/namespaces/default/pods/web-0/exec', 'command=sh', { verb: 'exec', subresource: 'exec' }],
  ['GET', '/api/v1/namespaces/default/pods/web-0/attach', '', { verb: 'attach' }],
  ['POST', '/api/v1/namespaces/default/pods/web-0/attach', '', { verb: 'attach' }],
  ['GET', '/api/v1/namespaces/default/pods/web-0/portforward', 'ports=8080', { verb: 'portforward' }],
  ['POST', '/api/v1/namespaces/default/pods/web-0/portforward', '', { verb: 'portforward' }],
  ['GET', '/api/v1/namespaces/default/pods/web-0/log', 'follow=true', { verb: 'log', subresource: 'log' }],
  ['GET', '/api/v1/namespaces/default/pods/web-0/status', '', { verb: 'get', subresource: 'status' }],
  [
    'PUT',
    '/apis/apps/v1/namespaces/prod/deployments/api/scale',
    '',
    { verb: 'update', subresource: 'scale', apiGroup: 'apps' },
  ],
  [
    'GET',
    '/apis/apps/v1/deployments',
    '',
    { verb: 'list', apiGroup: 'apps', apiVersion: 'v1', namespace: '' },
  ],
  [
    'GET',
    '/apis/stable.example.com/v1/namespaces/a/crontabs/x',
    '',
    { apiGroup: 'stable.example.com', resource: 'crontabs', name: 'x' },
  ],
  ['GET', '/api/v1/nodes/node-1', '', { verb: 'get', resource: 'nodes', name: 'node-1', namespace: '' }],
  ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces', namespace: '', name: '' }],
  [
    'GET',
    '/api/v1/namespaces/team-a',
    '',
    { verb: 'get', resource: 'namespaces', namespace: 'team-a', name: 'team-a' },
  ],
  [
    'PUT',
    '/api/v1/namespaces/team-a/finalize',
    '',
    { resource: 'namespaces', name: 'team-a', subresource: 'finalize' },
  ],
  ['GET', '/api/v1/namespaces/team-a/status', '', { resource: 'namespaces', subresource: 'status' }],
  [
    'GET',
    '/api/v1/namespaces/default/pods',
    'fieldSelector=metadata.name%3Dweb-0&watch=true',
    { verb: 'watch', name: 'web-0' },
  ],
  [
    'GET',
    '/api/v1/namespaces/default/pods',
    'fieldSelector=metadata.name%3D%3Dweb-0',
    { verb: 'list', name: 'web-0' },
  ],
  [
    'GET',
    '/api/v1/namespaces/default/pods',
    'fieldSelector=status.phase%3DRunning',
    { verb: 'list', name: '' },
  ],
  [
    'GET',
    '/api/v1/proxy/namespaces/default/pods/web-0/a/b',
    '',
    { verb: 'proxy', name: 'web-0', subresource: '' },
  ],
  ['OPTIONS', '/api/v1/namespaces/default/pods', '', { verb: '' }],
];

describe('parseKubeRequest', () => {
  it.each(cases)('%s %s?%s resolves like the API server', (method, path, query, expected) => {
    const attributes = parseKubeRequest(method, path, new URLSearchParams(query));
    expect(attributes).toMatchObject({ isResourceRequest: true, ...expected });
  });

  it.each([
    ['GET', '/api'],
    ['GET', '/api/v1'],
    ['GET', '/apis'],
    ['GET', '/apis/apps'],
    ['GET', '/apis/apps/v1'],
    ['GET', '/version'],
    ['GET', '/openapi/v3/apis/apps/v1'],
    ['POST', '/metrics'],
  ])('treats %s %s as a non-resource request with the lowercase method as verb', (method, path) => {
    const attributes = parseKubeRequest(method, path);
    expect(attributes).toMatchObject({ isResourceRequest: false, verb: method.toLowerCase(), path });
  });

  it('refuses a legacy watch path with nothing after /watch/', () => {
    expect(() => parseKubeRequest('GET', '/api/v1/watch')).toThrow(
      expect.objectContaining({ code: 'RMT_POLICY_REQUEST_UNPARSABLE' }),
    );
    try {
      parseKubeRequest('GET', '/apis/apps/v1/watch/');
    } catch (error) {
      expect(RemotelerError.is(error)).toBe(true);
    }
  });
});
