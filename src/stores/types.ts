/**
 * The one interface through which everything with state goes: revocation, refresh-token
 * families, sessions and rate limits. `MemoryStore` is the embedded default; `RedisStore`
 * (`authx-ts/redis`) shares the same state across many server instances.
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
 * Persistence for everything stateful. Implementations must make every multi-step change atomic
 * (two instances racing on one refresh token must see exactly one `ok`).
 */
export interface Store {
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
   * Atomically marks refresh token `jti` of family `fam` used. `ok` the first time; `reused` if it
   * was used before (the family is then revoked until `familyExpiresAt`); `revoked` if the family
   * already was.
   */
  useRefreshToken(fam: string, jti: string, familyExpiresAt: number): Promise<RefreshUse>
  /** Counts one hit on `key` in a window of `windowSeconds` ending now. */
  hit(key: string, windowSeconds: number, now: number): Promise<RateLimitHit>
  /** Forgets the counter of `key`. */
  resetHits(key: string): Promise<void>
  /** Saves (creates or replaces) a session. */
  saveSession(session: SessionRecord): Promise<void>
  /** A session by id, or null when unknown or expired. */
  getSession(id: string): Promise<SessionRecord | null>
  /** The live sessions of a subject. */
  listSessions(sub: string): Promise<SessionRecord[]>
  /** Deletes one session; true if it existed. */
  deleteSession(id: string): Promise<boolean>
  /** Deletes every session of a subject; returns how many. */
  deleteSessions(sub: string): Promise<number>
}
