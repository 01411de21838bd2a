// tsyringe throws at import time unless a Reflect metadata polyfill is loaded first.
import 'reflect-metadata';
import { type DependencyContainer, container as globalContainer, instanceCachingFactory } from 'tsyringe';
import { RemotelerError } from '../errors/remoteler-error.js';
import type { Token } from './token.js';

/** Options for {@link RemotelerContainer.registerFactory}. */
export interface FactoryRegistrationOptions {
  /** One instance per registration (true, the default) or a new one per `resolve()`. */
  readonly singleton?: boolean;
}

/**
 * A type-safe wrapper around a tsyringe child container. Everything is keyed by {@link Token}s
 * and registered with values or factories, never by reflected constructor parameter types.
 */
export interface RemotelerContainer {
  /** The underlying tsyringe container, for `@inject(TOKEN.key)` classes. Always a child container. */
  readonly tsyringe: DependencyContainer;
  /** Registers a ready value. Returns the container, for chaining. */
  registerValue<T>(token: Token<T>, value: T): RemotelerContainer;
  /**
   * Registers a factory; it receives this container to resolve its own dependencies. Singletons
   * that have a `close()` method are closed by `dispose()`, in reverse order of creation.
   */
  registerFactory<T>(
    token: Token<T>,
    factory: (container: RemotelerContainer) => T,
    options?: FactoryRegistrationOptions,
  ): RemotelerContainer;
  /** The registered value. Throws RMT_DI_NOT_REGISTERED when neither this container nor a parent has it. */
  resolve<T>(token: Token<T>): T;
  /** Whether the token is registered here (or, with `recursive`, in a parent). */
  isRegistered(token: Token<unknown>, recursive?: boolean): boolean;
  /** A new child: sees this container's registrations, and its own override them. */
  createChild(): RemotelerContainer;
  /** Closes the singletons its factories created (last created first); idempotent. */
  dispose(): Promise<void>;
}

/**
 * Creates a container for composing Remoteler. It is always a *child* container (of `parent`, or
 * of tsyringe's global container, which is never registered into nor reset), so two
 * compositions in one process never see each other's registrations.
 */
export function createContainer(parent?: RemotelerContainer | DependencyContainer): RemotelerContainer {
  const base = parent === undefined ? globalContainer : 'tsyringe' in parent ? parent.tsyringe : parent;
  return wrap(base.createChildContainer());
}

interface Closable {
  close(): unknown;
}

function wrap(child: DependencyContainer): RemotelerContainer {
  const created: Closable[] = [];
  let disposed = false;
  const assertUsable = () => {
    if (disposed) throw new RemotelerError('RMT_DI_CONTAINER_DISPOSED', 'the container was disposed');
  };
  const self: RemotelerContainer = {
    tsyringe: child,
    registerValue(token, value) {
      assertUsable();
      child.register(token.key, { useValue: value });
      return self;
    },
    registerFactory(token, factory, options = {}) {
      assertUsable();
      const make = () => {
        const instance = factory(self);
        if (isClosable(instance)) created.push(instance);
        return instance;
      };
      child.register(token.key, {
        useFactory: options.singleton === false ? () => factory(self) : instanceCachingFactory(make),
      });
      return self;
    },
    resolve<T>(token: Token<T>): T {
      assertUsable();
      if (!child.isRegistered(token.key, true))
        throw new RemotelerError('RMT_DI_NOT_REGISTERED', `nothing is registered for ${token.id}`, {
          details: { token: token.id },
        });
      return child.resolve<T>(token.key);
    },
    isRegistered(token, recursive = false) {
      return child.isRegistered(token.key, recursive);
    },
    createChild() {
      assertUsable();
      return wrap(child.createChildContainer());
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const errors: unknown[] = [];
      for (const instance of created.reverse()) {
        try {
          await instance.close();
        } catch (error) {
          errors.push(error);
        }
      }
      created.length = 0;
      if (errors.length > 0) throw new AggregateError(errors, 'some components failed to close');
    },
  };
  return self;
}

function isClosable(value: unknown): value is Closable {
  return typeof value === 'object' && value !== null && typeof (value as Closable).close === 'function';
}
