import { MemoryAuditSink, MemoryRoleStore, RemotelerError } from '@remoteler/core';
import { AUDIT_SINK, CLOCK, createContainer, createToken, ROLE_STORE } from '@remoteler/core/di';
import { container as globalContainer } from 'tsyringe';
import { describe, expect, it } from 'vitest';

describe('DI container', () => {
  it('resolves values and factories by typed tokens', () => {
    const container = createContainer();
    container.registerValue(CLOCK, () => 42).registerFactory(ROLE_STORE, () => new MemoryRoleStore());
    expect(container.resolve(CLOCK)()).toBe(42);
    expect(container.resolve(ROLE_STORE)).toBeInstanceOf(MemoryRoleStore);
  });

  it('gives factories the container so they resolve their own dependencies', () => {
    const GREETING = createToken<string>('test.greeting');
    const NAME = createToken<string>('test.name');
    const container = createContainer()
      .registerValue(NAME, 'Ada')
      .registerFactory(GREETING, (c) => `hello ${c.resolve(NAME)}`);
    expect(container.resolve(GREETING)).toBe('hello Ada');
  });

  it('builds a singleton once, or a new instance per resolve on request', () => {
    const SINGLE = createToken<object>('test.single');
    const TRANSIENT = createToken<object>('test.transient');
    const container = createContainer()
      .registerFactory(SINGLE, () => ({}))
      .registerFactory(TRANSIENT, () => ({}), { singleton: false });
    expect(container.resolve(SINGLE)).toBe(container.resolve(SINGLE));
    expect(container.resolve(TRANSIENT)).not.toBe(container.resolve(TRANSIENT));
  });

  it('never registers into the global tsyringe container', () => {
    const LOCAL = createToken<string>('test.isolated');
    const first = createContainer().registerValue(LOCAL, 'first');
    const second = createContainer();
    expect(first.resolve(LOCAL)).toBe('first');
    expect(second.isRegistered(LOCAL, true)).toBe(false);
    expect(globalContainer.isRegistered(LOCAL.key, true)).toBe(false);
  });

  it('lets a child override its parent without changing it', () => {
    const NAME = createToken<string>('test.override');
    const parent = createContainer().registerValue(NAME, 'parent');
    const child = parent.createChild().registerValue(NAME, 'child');
    expect(child.resolve(NAME)).toBe('child');
    expect(parent.resolve(NAME)).toBe('parent');
    expect(createContainer(parent).resolve(NAME)).toBe('parent');
  });

  it('answers RMT_DI_NOT_REGISTERED for a token nobody registered', () => {
    let error: unknown;
    try {
      createContainer().resolve(AUDIT_SINK);
    } catch (caught) {
      error = caught;
    }
    expect(RemotelerError.hasCode(error, 'RMT_DI_NOT_REGISTERED')).toBe(true);
    expect((error as RemotelerError).details).toEqual({ token: 'remoteler.audit-sink' });
  });

  it('agrees on tokens across copies of the package (registered symbols)', () => {
    expect(createToken('remoteler.audit-sink').key).toBe(AUDIT_SINK.key);
  });

  it('closes the singletons it built, last built first, once', async () => {
    const closed: string[] = [];
    const FIRST = createToken<{ close(): void }>('test.first');
    const SECOND = createToken<{ close(): void }>('test.second');
    const container = createContainer()
      .registerFactory(FIRST, () => ({ close: () => closed.push('first') }))
      .registerFactory(SECOND, (c) => {
        c.resolve(FIRST);
        return { close: () => closed.push('second') };
      });
    container.resolve(SECOND);
    await container.dispose();
    await container.dispose();
    expect(closed).toEqual(['second', 'first']);
    expect(() => container.resolve(FIRST)).toThrow(/disposed/);
  });

  it('composes in-memory plugins end to end', async () => {
    const container = createContainer().registerFactory(AUDIT_SINK, () => new MemoryAuditSink());
    const sink = container.resolve(AUDIT_SINK);
    expect(sink.capabilities.search).toBe(true);
    await container.dispose();
    await expect(sink.emit({} as never)).rejects.toMatchObject({ code: 'RMT_AUDIT_SINK_CLOSED' });
  });
});
