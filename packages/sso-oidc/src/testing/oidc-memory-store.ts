/**
 * The storage oidc-provider calls its "adapter": one instance per model (`Session`, `Interaction`,
 * `AuthorizationCode`, `Grant`, `AccessToken`…), all sharing one store per provider.
 */
export interface OidcAdapter {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

interface Entry {
  readonly payload: Record<string, unknown>;
  /** Epoch ms; Infinity when the model gave no lifetime. */
  readonly expiresAt: number;
}

/** Artifacts that belong to a grant and die with it (`revokeByGrantId`). */
const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode']);

/**
 * A store for one test provider. oidc-provider's own development adapter keeps everything in one
 * module-wide LRU of 1,000 entries, so providers in one process share it and a few hundred logins
 * in flight evict each other's interactions; this one belongs to its provider, evicts nothing
 * before it expires, and drops expired entries lazily (on read) and in sweeps as it grows.
 */
export function createOidcMemoryStore(now: () => number = Date.now): (model: string) => OidcAdapter {
  const entries = new Map<string, Entry>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();
  let writesSinceSweep = 0;

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      remove(key);
      return undefined;
    }
    return entry;
  };
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const { uid, userCode, grantId } = entry.payload as { uid?: string; userCode?: string; grantId?: string };
    if (uid && byUid.get(uid) === key) byUid.delete(uid);
    if (userCode && byUserCode.get(userCode) === key) byUserCode.delete(userCode);
    if (grantId) {
      const members = byGrant.get(grantId);
      members?.delete(key);
      if (members?.size === 0) byGrant.delete(grantId);
    }
  };
  const sweep = () => {
    const at = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= at) remove(key);
  };

  return (model: string): OidcAdapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        remove(key);
        const expiresAt = typeof expiresIn === 'number' ? now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        entries.set(key, { payload: { ...payload }, expiresAt });
        if (model === 'Session' && typeof payload.uid === 'string') byUid.set(payload.uid, key);
        if (typeof payload.userCode === 'string') byUserCode.set(payload.userCode, key);
        if (GRANT_BOUND.has(model) && typeof payload.grantId === 'string') {
          const members = byGrant.get(payload.grantId) ?? new Set<string>();
          members.add(key);
          byGrant.set(payload.grantId, members);
        }
        // Amortised: a sweep after as many writes as there are entries keeps the map at most about
        // twice the number of live entries.
        if (++writesSinceSweep > Math.max(1_000, entries.size)) {
          writesSinceSweep = 0;
          sweep();
        }
      },
      async find(id) {
        return live(keyOf(id))?.payload;
      },
      async findByUid(uid) {
        const key = byUid.get(uid);
        return key ? live(key)?.payload : undefined;
      },
      async findByUserCode(userCode) {
        const key = byUserCode.get(userCode);
        return key ? live(key)?.payload : undefined;
      },
      async consume(id) {
        const entry = live(keyOf(id));
        if (entry) entry.payload.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        remove(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of [...(byGrant.get(grantId) ?? [])]) remove(key);
        byGrant.delete(grantId);
      },
    };
  };
}
