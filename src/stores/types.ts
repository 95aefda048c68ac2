/**
 * The interfaces through which everything with state goes, one per concern: revocation
 * ({@link RevocationStore}), refresh-token families ({@link RefreshFamilyStore}), sessions
 * ({@link SessionStore}) and rate limits ({@link RateLimitStore}). {@link Store} is all four.
 * `MemoryStore` is the embedded default; `RedisStore` (`authx-ts/redis`) shares the same state
 * across many server instances.
 *
 * All times are seconds since the epoch. Every method may reject when the backing service is
 * down; the library turns that into a 503 `StoreUnavailableError` (fail closed).
 */

/** What a revocation lookup needs from a verified token. */
export interface RevocationQuery {
  /** The token id. */
  readonly jti?: string | undefined
  /** The subject, for "revoke everything issued before" checks. */
  readonly sub: string
  /** Issued-at, compared with a subject-wide revocation time. */
  readonly iat?: number | undefined
  /** Session id, when the token is tied to a session. */
  readonly sid?: string | undefined
  /** Refresh-token family id, when rotation is on. */
  readonly fam?: string | undefined
}

/** Kinds of identifier that can be revoked one by one. */
export type RevocationKind = 'jti' | 'sid' | 'fam'

/** Outcome of presenting a refresh token of a rotating family. */
export type RefreshUse = 'ok' | 'reused' | 'revoked'

/** A login session, as kept by the store. */
export interface SessionRecord {
  /** Random session id (the `sid` claim). */
  readonly id: string
  /** The subject it belongs to. */
  readonly sub: string
  /** Creation time. */
  readonly createdAt: number
  /** Last time a token of this session was used or refreshed. */
  readonly lastActive: number
  /** When the session ends on its own. */
  readonly expiresAt: number
  /** Client address at creation, if known. */
  readonly ip?: string | undefined
  /** User agent at creation, if known. */
  readonly userAgent?: string | undefined
  /** Anything the application wants to keep with it (device name...). */
  readonly data?: Record<string, unknown> | undefined
}

/** A rate-limit counter after one hit. */
export interface RateLimitHit {
  /** Hits in the current window, this one included. */
  readonly count: number
  /** Seconds until the window frees the next slot. */
  readonly resetIn: number
}

/**
 * Revocations: single tokens, sessions and families by id, and whole subjects by issue time. The
 * library asks it on every request that carries a `jti`, `sid` or `fam` (one round trip each).
 * Implementations must make each write atomic, and a later, shorter expiry must never shorten an
 * entry (fail closed).
 *
 * @example A revocation-only store on a database (sketch)
 * ```ts
 * class PostgresRevocations implements RevocationStore {
 *   async revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void> {
 *     await sql`INSERT INTO revoked VALUES (${kind}, ${id}, ${expiresAt})
 *               ON CONFLICT (kind, id) DO UPDATE SET expires_at = GREATEST(revoked.expires_at, ${expiresAt})`
 *   }
 *   // revokeSubject, isRevoked...
 * }
 * ```
 */
export interface RevocationStore {
  /**
   * Revokes one identifier until `expiresAt`, after which the entry may be forgotten (the token
   * it describes has expired anyway).
   */
  revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void>
  /** Revokes every token of `sub` issued at or before `at`, remembered until `expiresAt`. */
  revokeSubject(sub: string, at: number, expiresAt: number): Promise<void>
  /** Whether the token is revoked by jti, session, family or subject: one round trip. */
  isRevoked(query: RevocationQuery): Promise<boolean>
  /**
   * Optional: the answer of {@link RevocationStore.isRevoked} when the store has it in memory
   * (a near-cache), or undefined when only the round trip can tell. A store that implements it
   * lets a guard finish without a promise, as fast as a stateless check; it must never answer
   * `false` where `isRevoked` could answer `true`.
   */
  isRevokedSync?(query: RevocationQuery): boolean | undefined
}

/**
 * Refresh-token families, for rotation with reuse detection. A reuse revokes the family through
 * the same `fam` entries that {@link RevocationStore.isRevoked} reads, so a store that implements
 * this interface implements {@link RevocationStore} on the same state.
 */
export interface RefreshFamilyStore {
  /**
   * Atomically marks refresh token `jti` of family `fam` used. `ok` the first time; `reused` if it
   * was used before (the family is then revoked until `familyExpiresAt`); `revoked` if the family
   * already was. Two instances racing on one refresh token must see exactly one `ok`.
   */
  useRefreshToken(fam: string, jti: string, familyExpiresAt: number): Promise<RefreshUse>
}

/** Login sessions, by id and by subject. */
export interface SessionStore {
  /** Saves (creates or replaces) a session, until its `expiresAt`. */
  saveSession(session: SessionRecord): Promise<void>
  /** A session by id, or null when unknown or expired. */
  getSession(id: string): Promise<SessionRecord | null>
  /** The live sessions of a subject, oldest (`createdAt`) first. */
  listSessions(sub: string): Promise<SessionRecord[]>
  /** Deletes one session; true if it existed. */
  deleteSession(id: string): Promise<boolean>
  /** Deletes every session of a subject; returns how many. */
  deleteSessions(sub: string): Promise<number>
}

/**
 * Fixed-window rate-limit counters.
 *
 * The time model differs from the other interfaces on purpose. {@link RateLimitStore.hit} takes
 * `now` from the caller (`AuthX` passes its `clock` option), while every other method reads the
 * store's own clock (Redis: the server's). A revocation or a session is an absolute `expiresAt`
 * that the store itself must honour, so that the entry vanishes on time whoever asks. A window
 * is a span of the caller's time: whether a hit falls in it and the `resetIn` that becomes a 429's
 * `Retry-After` are both counted from `now`, so they agree with the clock the application (or a
 * test) runs on, whatever the store's clock says. The store's clock only collects a window after
 * its end. The signature is public API, which is why it stays as it is.
 */
export interface RateLimitStore {
  /**
   * Counts one hit on `key` in a window of `windowSeconds` ending now.
   *
   * @param now - the caller's current time (seconds since the epoch): the window's clock
   */
  hit(key: string, windowSeconds: number, now: number): Promise<RateLimitHit>
  /** Forgets the counter of `key`. */
  resetHits(key: string): Promise<void>
}

/** A stored key ring document and its version. */
export interface StoredKeyRing {
  /** Rises by one with every write; the first write is version 1. */
  readonly version: number
  /** The ring, as the library serialised it (public keys in clear, private keys encrypted). */
  readonly document: string
}

/**
 * Where a self-rotating key ring (`keyRing`) lives: one document per ring name, replaced only by a
 * compare-and-swap on its version, so that two instances racing to rotate make one key, not two.
 * Kept apart from {@link Store}: a store without it simply cannot hold a key ring.
 */
export interface KeyRingStore {
  /** The ring stored under `name`, or null when there is none. */
  getKeyRing(name: string): Promise<StoredKeyRing | null>
  /**
   * Stores `document` as version `expected + 1`, only if the stored version is still `expected`
   * (0: nothing stored yet). Atomic.
   *
   * @returns whether this write won
   */
  swapKeyRing(name: string, expected: number, document: string): Promise<boolean>
}

/**
 * Persistence for everything stateful: all four store interfaces in one object, which is what
 * the `store` option of `AuthX` takes. Implementations must make every multi-step change atomic
 * (two instances racing on one refresh token must see exactly one `ok`).
 *
 * A store for one concern alone implements the narrow interface it needs
 * ({@link RevocationStore}, {@link RefreshFamilyStore}, {@link SessionStore},
 * {@link RateLimitStore}) and proves it with the matching contract suite of the tests.
 */
export interface Store extends RevocationStore, RefreshFamilyStore, SessionStore, RateLimitStore {}
