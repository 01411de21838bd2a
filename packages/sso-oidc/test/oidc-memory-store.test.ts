import { describe, expect, it } from 'vitest';
import { createOidcMemoryStore } from '../src/testing/oidc-memory-store.js';

// The test provider's storage: what oidc-provider keeps between the steps of a login (interactions,
// sessions, codes, grants). It must hold every login in flight, however many, until each expires.

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('the test provider store', () => {
  it('keeps thousands of logins in flight without evicting any', async () => {
    const adapter = createOidcMemoryStore()('Interaction');
    for (let i = 0; i < 5_000; i++) await adapter.upsert(`i${i}`, { n: i }, 600);
    for (const i of [0, 1, 2_500, 4_999]) expect(await adapter.find(`i${i}`)).toEqual({ n: i });
  });

  it('forgets an entry once its lifetime has passed', async () => {
    const time = clock();
    const adapter = createOidcMemoryStore(time.now)('AuthorizationCode');
    await adapter.upsert('c1', { grantId: 'g1' }, 60);
    time.advance(59_999);
    expect(await adapter.find('c1')).toEqual({ grantId: 'g1' });
    time.advance(1);
    expect(await adapter.find('c1')).toBeUndefined();
  });

  it('marks a code consumed, finds sessions by uid and revokes everything a grant issued', async () => {
    const time = clock();
    const store = createOidcMemoryStore(time.now);
    const codes = store('AuthorizationCode');
    const tokens = store('AccessToken');
    const sessions = store('Session');
    await codes.upsert('c1', { grantId: 'g1' }, 60);
    await tokens.upsert('t1', { grantId: 'g1' }, 3600);
    await tokens.upsert('t2', { grantId: 'g2' }, 3600);
    await sessions.upsert('s1', { uid: 'u1', accountId: 'carol' }, 3600);
    await codes.consume('c1');
    expect(await codes.find('c1')).toMatchObject({ consumed: Math.floor(time.now() / 1000) });
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'carol' });
    await tokens.revokeByGrantId('g1');
    expect(await codes.find('c1')).toBeUndefined();
    expect(await tokens.find('t1')).toBeUndefined();
    expect(await tokens.find('t2')).toEqual({ grantId: 'g2' });
    await sessions.destroy('s1');
    expect(await sessions.findByUid('u1')).toBeUndefined();
  });

  it('belongs to one provider: two stores share nothing, and models do not collide', async () => {
    const a = createOidcMemoryStore();
    const b = createOidcMemoryStore();
    await a('Session').upsert('x', { who: 'a' }, 60);
    expect(await b('Session').find('x')).toBeUndefined();
    expect(await a('Interaction').find('x')).toBeUndefined();
  });
});
