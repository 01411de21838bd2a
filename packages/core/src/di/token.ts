/**
 * A typed key for a dependency: `createToken<RoleStore>('remoteler.role-store')`. The type
 * parameter makes registration and resolution type-checked without decorators or reflected
 * parameter types (which esbuild, and so tsup, does not emit).
 */
export interface Token<T> {
  /** Stable, unique id, e.g. `remoteler.role-store`. */
  readonly id: string;
  /** The key containers use: `Symbol.for('remoteler.di:' + id)`. */
  readonly key: symbol;
  /** Carries `T` for the type checker only; never set. */
  readonly __type?: T;
}

/**
 * Creates a token. The key is a registered symbol (`Symbol.for`), so two copies of this package
 * installed side by side still agree on the same token; the id therefore must be unique
 * (prefix it with your package name).
 */
export function createToken<T>(id: string): Token<T> {
  if (typeof id !== 'string' || id === '') throw new TypeError('a token id must be a non-empty string');
  return Object.freeze({ id, key: Symbol.for(`remoteler.di:${id}`) });
}
