import { RemotelerError } from '@remoteler/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composePipeline, type ProxyExchange, type ProxyStep, SECURITY_STEPS } from '../src/index.js';
import { proxyRequest } from './support/proxy-client.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { createTestPki, type Pem, type TestPki } from './support/test-pki.js';

const noop = (name: string): ProxyStep => ({ name, run: () => {} });
const security = Object.fromEntries(SECURITY_STEPS.map((name) => [name, noop(name)])) as Record<
  (typeof SECURITY_STEPS)[number],
  ProxyStep
>;

describe('composing the pipeline', () => {
  it('runs the security steps in their fixed order with host steps after the step they name', () => {
    const steps = composePipeline(security, [
      { after: 'impersonate', step: noop('rate-limit') },
      { after: 'authenticate', step: noop('lock-check') },
    ]);
    expect(steps.map((s) => s.name)).toEqual([
      'authenticate',
      'lock-check',
      'route',
      'authorize',
      'impersonate',
      'rate-limit',
      'forward',
    ]);
  });

  it('refuses host steps before authenticate, after forward, or named like a security step', () => {
    const attempt = (hostSteps: unknown) => {
      try {
        composePipeline(security, hostSteps as never);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const bad of [
      [{ after: 'forward', step: noop('late') }],
      [{ after: 'start', step: noop('early') }],
      [{ after: 'route', step: noop('authorize') }],
      [{ after: 'route', step: noop('audit') }],
      [
        { after: 'route', step: noop('twice') },
        { after: 'route', step: noop('twice') },
      ],
      [{ after: 'route', step: { name: 'no-run' } }],
    ]) {
      const error = attempt(bad);
      expect(RemotelerError.hasCode(error, 'RMT_CONFIG_INVALID'), JSON.stringify(bad)).toBe(true);
    }
  });
});

describe('host steps in a running Proxy', () => {
  let pki: TestPki;
  let fixture: ProxyFixture;
  let alice: Pem;
  const seen: string[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    alice = await pki.user('alice', { pin: 'dev' });
    fixture = await startProxyFixture(pki, {
      clusters: ['dev'],
      proxy: {
        steps: [
          {
            after: 'authorize',
            step: {
              name: 'deny-secrets',
              run: (exchange: ProxyExchange) => {
                seen.push(
                  `${exchange.identity?.username} ${exchange.attributes?.verb} ${exchange.attributes?.resource}`,
                );
                if (exchange.attributes?.resource === 'secrets')
                  throw new RemotelerError('RMT_CONFIG_INVALID', 'secrets are off limits here');
              },
            },
          },
          {
            after: 'impersonate',
            step: {
              name: 'tamper',
              run: (exchange: ProxyExchange) => {
                (exchange.upstreamHeaders as Record<string, string>)['impersonate-user'] = 'system:admin';
              },
            },
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await fixture?.close();
    await pki?.dispose();
  });

  it('lists its steps, security steps first in order and audit last', () => {
    expect(fixture.proxy.steps).toEqual([
      'authenticate',
      // The built-in per-user limits need the user, so they run right after authentication.
      'limits',
      'route',
      'authorize',
      'deny-secrets',
      'impersonate',
      'tamper',
      'forward',
      'audit',
    ]);
  });

  it('runs a host step with what the security steps established, and lets it refuse', async () => {
    const res = await proxyRequest(fixture.url, '/api/v1/namespaces/default/secrets', pki.proxyTrust, {
      identity: alice,
    });
    expect(res.status).toBe(400);
    expect(res.json().message).toContain('secrets are off limits');
    expect(seen).toContain('alice list secrets');
  });

  it('gives later host steps no way to change the upstream headers', async () => {
    const res = await proxyRequest(fixture.url, '/api/v1/namespaces/default/pods', pki.proxyTrust, {
      identity: alice,
    });
    // The frozen header set makes the tampering step throw, which refuses the request (fail closed).
    expect(res.status).toBe(500);
    expect(fixture.upstreams.dev!.requests).toHaveLength(0);
  });
});
