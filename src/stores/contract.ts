/**
 * What every store does with the arguments it is given, so that an application sees one contract
 * whichever store it runs on: the same `TypeError` for the same misuse, the same refusal of the
 * identifiers no store can keep apart, keys built so that distinct identifiers never share one,
 * and sessions listed in the same order. Each store method starts with its line of
 * {@link checkArguments}.
 *
 * - Ill-formed UTF-16 (a lone surrogate, which JSON's `"\ud800"` escape decodes to) is refused:
 *   Redis receives keys as UTF-8, where a lone surrogate becomes U+FFFD, so `'a\ud800'` and
 *   `'a\ufffd'` would be one subject there. The memory store refuses them as well, so that an
 *   application sees the same contract whichever store it runs on.
 * - Keys are built by {@link storeKeys} only, whose shapes can be read back in one way only, so
 *   a `:` inside an id can never make one key pass for another (`'a:b'` + `'c'` stays apart from
 *   `'a'` + `'b:c'`, and a session id cannot spell a revocation).
 *
 * Internal to the stores: not part of the package's exports.
 *
 * @packageDocumentation
 */
import { isWellFormed } from '../internal/well-formed.ts'
import type { RevocationKind, RevocationQuery, SessionRecord, Store } from './types.ts'

/** The kinds `revoke` takes; JavaScript callers can pass any string, hence the run-time check. */
const KINDS: ReadonlySet<unknown> = new Set<RevocationKind>(['jti', 'sid', 'fam'])

/**
 * Whether `value` is a string without lone surrogates, i.e. one that survives a round trip
 * through UTF-8 unchanged.
 *
 * @param value - anything
 * @returns true for a well-formed string
 */
export function isWellFormedId(value: unknown): value is string {
  return typeof value === 'string' && isWellFormed(value)
}

/**
 * Refuses an identifier that is not a well-formed string.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param name - the argument's name, for the message
 * @param value - the identifier
 * @throws TypeError naming the argument when `value` is not a string or has a lone surrogate
 *
 * @example Checking a subject before it becomes a key
 * ```ts
 * assertId('RedisStore.listSessions', 'sub', sub)
 * ```
 */
export function assertId(where: string, name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${where}: ${name} must be a string`)
  if (!isWellFormed(value)) {
    // The value is not echoed: it may come from a token or a request.
    throw new TypeError(
      `${where}: ${name} must be a well-formed string (it contains a lone UTF-16 surrogate)`,
    )
  }
}

/**
 * Refuses a revocation query whose subject, `jti`, `sid` or `fam` is not a well-formed string.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param query - the query
 * @throws TypeError naming the field
 */
export function assertQuery(where: string, query: RevocationQuery): void {
  if (typeof query !== 'object' || query === null)
    throw new TypeError(`${where}: query must be an object`)
  assertId(where, 'query.sub', query.sub)
  if (query.jti !== undefined) assertId(where, 'query.jti', query.jti)
  if (query.sid !== undefined) assertId(where, 'query.sid', query.sid)
  if (query.fam !== undefined) assertId(where, 'query.fam', query.fam)
}

/**
 * Refuses a revocation kind other than `jti`, `sid` and `fam`.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param kind - the kind
 * @throws TypeError for any other value
 */
export function assertKind(where: string, kind: unknown): asserts kind is RevocationKind {
  // A kind is one of three fixed words, never user data, so it may be echoed.
  if (!KINDS.has(kind)) throw new TypeError(`${where}: unknown revocation kind ${String(kind)}`)
}

/**
 * Refuses a time that is not a finite number. Every time a store is given is absolute (seconds
 * since the epoch); NaN or Infinity would make an entry that never expires or never exists.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param name - the argument's name, for the message
 * @param value - the time
 * @throws TypeError naming the argument
 */
export function assertTime(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`${where}: ${name} must be a finite number of seconds since the epoch`)
}

/**
 * Refuses a rate-limit window that is not a positive, finite number of seconds.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param windowSeconds - the window length
 * @throws TypeError naming `windowSeconds`
 */
export function assertWindow(
  where: string,
  windowSeconds: unknown,
): asserts windowSeconds is number {
  // Written as "not above zero" so that NaN is refused too.
  if (typeof windowSeconds !== 'number' || !(windowSeconds > 0) || !Number.isFinite(windowSeconds))
    throw new TypeError(`${where}: windowSeconds must be a positive number`)
}

/**
 * Refuses a session record whose id or subject is not a well-formed string or whose expiry is
 * not a finite time.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param session - the record
 * @throws TypeError naming the field
 */
export function assertSession(where: string, session: SessionRecord): void {
  if (typeof session !== 'object' || session === null)
    throw new TypeError(`${where}: session must be an object`)
  assertId(where, 'session.id', session.id)
  assertId(where, 'session.sub', session.sub)
  assertTime(where, 'session.expiresAt', session.expiresAt)
}

/**
 * One check per {@link Store} method: the store's name, then the method's own arguments. The
 * optional `isRevokedSync` checks what `isRevoked` checks.
 */
export type StoreArgumentChecks = {
  readonly [M in Exclude<keyof Store, 'isRevokedSync'>]: (
    store: string,
    ...args: Parameters<Store[M]>
  ) => void
}

/**
 * The argument checks of every {@link Store} method, in one place. A store calls the one of each
 * method first, before any state changes, so that misuse is a `TypeError` (a rejection) naming
 * the store, the method and the argument, and never a half-done write. Typed by `Store`, so a new
 * method cannot be added without its check.
 *
 * @example The first line of a store method
 * ```ts
 * async revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void> {
 *   checkArguments.revoke('RedisStore', kind, id, expiresAt)
 *   // ...
 * }
 * ```
 */
export const checkArguments: StoreArgumentChecks = {
  revoke(store, kind, id, expiresAt) {
    const where = `${store}.revoke`
    assertKind(where, kind)
    assertId(where, 'id', id)
    assertTime(where, 'expiresAt', expiresAt)
  },
  revokeSubject(store, sub, at, expiresAt) {
    const where = `${store}.revokeSubject`
    assertId(where, 'sub', sub)
    assertTime(where, 'at', at)
    assertTime(where, 'expiresAt', expiresAt)
  },
  isRevoked(store, query) {
    assertQuery(`${store}.isRevoked`, query)
  },
  useRefreshToken(store, fam, jti, familyExpiresAt) {
    const where = `${store}.useRefreshToken`
    assertId(where, 'fam', fam)
    assertId(where, 'jti', jti)
    assertTime(where, 'familyExpiresAt', familyExpiresAt)
  },
  hit(store, key, windowSeconds, now) {
    const where = `${store}.hit`
    assertId(where, 'key', key)
    assertWindow(where, windowSeconds)
    assertTime(where, 'now', now)
  },
  resetHits(store, key) {
    assertId(`${store}.resetHits`, 'key', key)
  },
  saveSession(store, session) {
    assertSession(`${store}.saveSession`, session)
  },
  getSession(store, id) {
    assertId(`${store}.getSession`, 'id', id)
  },
  listSessions(store, sub) {
    assertId(`${store}.listSessions`, 'sub', sub)
  },
  deleteSession(store, id) {
    assertId(`${store}.deleteSession`, 'id', id)
  },
  deleteSessions(store, sub) {
    assertId(`${store}.deleteSessions`, 'sub', sub)
  },
}

/**
 * Emits a warning of the stores: a process warning of type `AuthXWarning` with `code`, so that
 * applications can filter it, or `console.warn` where there is no `process` (edge runtimes).
 *
 * @param code - the warning's stable code, such as `AUTHX_MEMORY_STORE_FULL`
 * @param message - what is wrong and what to change
 */
export function emitStoreWarning(code: string, message: string): void {
  if (typeof process !== 'undefined' && typeof process.emitWarning === 'function')
    process.emitWarning(message, { type: 'AuthXWarning', code })
  else console.warn(`AuthXWarning: ${message}`)
}

/**
 * Sorts sessions oldest first (by `createdAt`), the order `listSessions` promises, in place.
 *
 * @param sessions - the live sessions of one subject
 * @returns the same array, sorted
 */
export function oldestFirst(sessions: SessionRecord[]): SessionRecord[] {
  return sessions.sort((a, b) => a.createdAt - b.createdAt)
}

/**
 * Every key shape of the stores, in one place (the memory store uses `used`; `RedisStore` all of
 * them, after its `prefix`). Why no two calls with different ids can build the same key:
 *
 * - each shape starts with its own tag followed by `:`, and no tag-plus-colon is a prefix of
 *   another (`rev:jti:`, `rev:sid:`, `rev:fam:`, `rsub:`, `used:`, `hit:`, `sess:`, `subsess:`),
 *   so two keys of different shapes differ within the tag;
 * - each shape has a fixed number of ids, every id but the last is written as
 *   `<length>:<id>` (its length in UTF-16 code units) and the last runs to the end of the key, so
 *   the ids can be read back from a key in exactly one way, whatever `:` they contain;
 * - ids are well-formed (see {@link assertId}), so distinct keys also have distinct UTF-8 bytes,
 *   which is what Redis compares.
 *
 * A new shape must keep all three: a tag that is not a prefix of another, a fixed arity, and a
 * length before every id but the last. The property tests in test/security/store-keys.test.ts
 * check the result.
 */
export const storeKeys = {
  /** A revoked `jti`, `sid` or `fam`. */
  revoked: (kind: RevocationKind, id: string): string => `rev:${kind}:${id}`,
  /** A subject-wide revocation (its `at`). */
  subject: (sub: string): string => `rsub:${sub}`,
  /** One spent refresh token of one family. */
  used: (fam: string, jti: string): string => `used:${fam.length}:${fam}:${jti}`,
  /** A rate-limit window. */
  hit: (key: string): string => `hit:${key}`,
  /** A session record. */
  session: (id: string): string => `sess:${id}`,
  /** The ids of a subject's sessions. */
  sessionIndex: (sub: string): string => `subsess:${sub}`,
  /** A key ring document (`keyRing`), by the ring's name. */
  keyRing: (name: string): string => `ring:${name}`,
} as const
