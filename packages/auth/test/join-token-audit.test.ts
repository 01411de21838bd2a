import type { AuditEvent, AuditSearchQuery, AuditSink } from '@remoteler/core';
import { MemoryAuditSink, RemotelerError } from '@remoteler/core';
import { afterEach, describe, expect, it } from 'vitest';
import { keyPair, type Stack, startStack } from './helpers.js';

// Join tokens let a host become part of the cluster, so one that was never audited must never work:
// when the audit sink refuses `join_token.created`, the token is dead.

/** A sink that stores everything except the event types it is told to refuse. */
class RefusingSink implements AuditSink {
  readonly inner = new MemoryAuditSink();
  readonly refuse = new Set<string>();
  readonly capabilities = { search: true, durable: false };
  async emit(event: AuditEvent): Promise<void> {
    if (this.refuse.has(event.type)) throw new RemotelerError('RMT_AUDIT_SINK_FULL', 'the test sink is full');
    await this.inner.emit(event);
  }
  search(query: AuditSearchQuery) {
    return this.inner.search(query);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    await this.inner.close();
  }
}

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function joinWith(s: Stack, token: string) {
  return s.service.join({ token, publicKey: keyPair().publicKeyPem, hostId: 'proxy-9', role: 'proxy' });
}

describe('join tokens and the audit log', () => {
  it('issueJoinToken fails with the sink error and leaves no usable token when the sink refuses', async () => {
    const sink = new RefusingSink();
    sink.refuse.add('join_token.created');
    stack = await startStack({ audit: sink });
    await expect(stack.service.issueJoinToken({ role: 'proxy', createdBy: 'root' })).rejects.toMatchObject({
      code: 'RMT_AUDIT_SINK_FULL',
    });
    expect(stack.service.listJoinTokens()).toEqual([]);
  });

  it('a token from createJoinToken whose creation the sink refused cannot join', async () => {
    const sink = new RefusingSink();
    sink.refuse.add('join_token.created');
    stack = await startStack({ audit: sink });
    const created = stack.service.createJoinToken({ role: 'proxy', createdBy: 'operator' });
    await expect(joinWith(stack, created.token)).rejects.toMatchObject({
      code: 'RMT_AUTH_JOIN_TOKEN_INVALID',
    });
  });

  it('a token from createJoinToken joins once its creation is recorded', async () => {
    stack = await startStack();
    const created = stack.service.createJoinToken({ role: 'proxy', createdBy: 'operator' });
    const joined = await joinWith(stack, created.token);
    expect(joined.hostId).toBe('proxy-9');
    const types: string[] = (await stack.events()).map((e) => e.type);
    expect(types).toContain('join_token.created');
    expect(types.indexOf('join_token.created')).toBeLessThan(types.indexOf('join_token.used'));
  });

  it('revoking kills the token before the event is written, so a refusing sink cannot keep it alive', async () => {
    const sink = new RefusingSink();
    stack = await startStack({ audit: sink });
    const created = await stack.service.issueJoinToken({ role: 'proxy', createdBy: 'root' });
    sink.refuse.add('join_token.revoked');
    await expect(stack.service.revokeJoinToken(created.name, 'root')).rejects.toMatchObject({
      code: 'RMT_AUDIT_SINK_FULL',
    });
    await expect(joinWith(stack, created.token)).rejects.toMatchObject({
      code: 'RMT_AUTH_JOIN_TOKEN_INVALID',
    });
  });
});

describe('provisioned join tokens', () => {
  const secret = 'k8s-secret-provisioned-token-0123456789abcdef';

  it('join again and again (a Proxy pod that lost its state), each use audited by name only', async () => {
    stack = await startStack({
      provisionedJoinTokens: [{ name: 'proxy-secret', role: 'proxy', token: secret }],
    });
    const first = await stack.service.join({
      token: secret,
      publicKey: keyPair().publicKeyPem,
      hostId: 'proxy-a',
      role: 'proxy',
    });
    const again = await stack.service.join({
      token: secret,
      publicKey: keyPair().publicKeyPem,
      hostId: 'proxy-a',
      role: 'proxy',
    });
    expect([first.hostId, again.hostId]).toEqual(['proxy-a', 'proxy-a']);
    const used = (await stack.events()).filter((e) => e.type === 'join_token.used');
    expect(used.map((e) => ('tokenName' in e ? e.tokenName : undefined))).toEqual([
      'proxy-secret',
      'proxy-secret',
    ]);
    expect(JSON.stringify(await stack.events())).not.toContain(secret);
  });

  it('are refused for another role and when they differ by one character', async () => {
    stack = await startStack({
      provisionedJoinTokens: [{ name: 'proxy-secret', role: 'proxy', token: secret }],
    });
    await expect(
      stack.service.join({ token: secret, publicKey: keyPair().publicKeyPem, hostId: 'a-1', role: 'agent' }),
    ).rejects.toMatchObject({ code: 'RMT_AUTH_JOIN_TOKEN_INVALID' });
    await expect(
      stack.service.join({
        token: `${secret.slice(0, -1)}X`,
        publicKey: keyPair().publicKeyPem,
        hostId: 'p',
        role: 'proxy',
      }),
    ).rejects.toMatchObject({ code: 'RMT_AUTH_JOIN_TOKEN_INVALID' });
  });

  it('must be long enough; the refusal names the field, never the value', async () => {
    const error = await startStack({
      provisionedJoinTokens: [{ name: 'weak', role: 'proxy', token: 'hunter2-hunter2' }],
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'RMT_CONFIG_INVALID' });
    expect(String((error as Error).message)).toContain('provisionedJoinTokens[0].token');
    expect(String((error as Error).message)).not.toContain('hunter2');
  });
});
