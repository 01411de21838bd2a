import { request } from 'node:https';
import { KubeApiSimulator, runKubectl, type WrittenKubeconfig } from '@remoteler/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceAccountTokens } from '../src/auth/service-account-tokens.js';

// The TokenRequest API (serviceaccounts/token), as the kubelet uses it for projected token volumes
// and `kubectl create token` calls it: JSON from kubectl 1.27-1.31, protobuf from 1.32+ (OBS 1.33).

let sim: KubeApiSimulator;
let admin: WrittenKubeconfig;

beforeAll(async () => {
  sim = await KubeApiSimulator.start();
  admin = await sim.adminKubeconfig();
  sim.createObject({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'robot', namespace: 'default' },
  });
});

afterAll(async () => {
  await sim?.close();
});

/** Lists pods with a bearer token; resolves with the status code (403: authenticated, not allowed; 401: unknown token). */
function statusWithToken(token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}/api/v1/namespaces/default/pods`,
      { ca: sim.caPem, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('serviceaccounts/token (TokenRequest)', () => {
  for (const version of ['1.31', '1.33']) {
    it(`kubectl ${version} create token issues a token that authenticates as the service account`, async () => {
      const created = await runKubectl(
        version,
        [
          'create',
          'token',
          'robot',
          '-n',
          'default',
          '--duration',
          '20m',
          '--audience',
          'remoteler',
          '-o',
          'json',
        ],
        { kubeconfig: admin.path },
      );
      expect(created.stderr).toBe('');
      const answer = JSON.parse(created.stdout);
      expect(answer).toMatchObject({
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        spec: { audiences: ['remoteler'], expirationSeconds: 1200 },
      });
      const expires = Date.parse(answer.status.expirationTimestamp);
      expect(expires).toBeGreaterThan(Date.now() + 15 * 60_000);

      sim.clearRequests();
      expect(await statusWithToken(answer.status.token)).toBe(403);
      expect(sim.requests.at(-1)?.user).toMatchObject({
        name: 'system:serviceaccount:default:robot',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      });
    });
  }

  it('refuses a lifetime under ten minutes and a service account that does not exist', async () => {
    const short = await runKubectl('1.33', ['create', 'token', 'robot', '--duration', '5m'], {
      kubeconfig: admin.path,
    });
    expect(short.stderr).toContain(
      'spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes',
    );
    const missing = await runKubectl('1.33', ['create', 'token', 'nobody'], { kubeconfig: admin.path });
    expect(missing.stderr).toContain('serviceaccounts "nobody" not found');
  });

  it('createServiceAccountToken issues the same kind of token without HTTP, and only for an existing account', async () => {
    const { token } = sim.createServiceAccountToken('default', 'robot');
    sim.clearRequests();
    await statusWithToken(token);
    expect(sim.requests.at(-1)?.user?.name).toBe('system:serviceaccount:default:robot');
    expect(() => sim.createServiceAccountToken('default', 'ghost')).toThrow(/does not exist/);
    expect(() => sim.createServiceAccountToken('default', 'robot', 60)).toThrow(/at least 600/);
  });

  it('forgets a token once it has expired, so it no longer authenticates', () => {
    let now = 1_000_000;
    const table = new Map();
    const tokens = new ServiceAccountTokens(table, () => now);
    const { token, expiresAt } = tokens.issue('ns', 'sa', 'uid-1', 600);
    expect(expiresAt).toBe(1_000_000 + 600_000);
    tokens.expire();
    expect(table.get(token)).toMatchObject({ name: 'system:serviceaccount:ns:sa', uid: 'uid-1' });
    now = expiresAt;
    tokens.expire();
    expect(table.has(token)).toBe(false);
  });
});
