/**
 * The embedded default store: everything in this process's memory, bounded in size and expiring
 * entries at their own `expiresAt`. Right for one instance; several instances behind a load
 * balancer need a shared store (`RedisStore` from `authx-ts/redis`).
 *
 * @packageDocumentation
 */
import type {
  KeyRingStore,
  RateLimitHit,
  RefreshUse,
  RevocationKind,
  RevocationQuery,
  SessionRecord,
  Store,
  StoredKeyRing,
} from './types.ts'
import { ExpiringMap, ExpiringSet } from '../internal/expiring-map.ts'
import type { ExpiringCapacity } from '../internal/expiring-map.ts'
import { checkArguments, emitStoreWarning, oldestFirst, storeKeys } from './contract.ts'

/** Names of the maps a {@link MemoryStore} keeps, as reported by {@link MemoryStore.stats}. */
export type MemoryStoreMap =
  | 'revokedTokens'
  | 'revokedSessions'
  | 'revokedFamilies'
  | 'revokedSubjects'
  | 'usedRefreshTokens'
  | 'rateLimits'
  | 'sessions'

/**
 * What {@link MemoryStoreOptions.onFull} is told when a map has reached its cap and holds no
 * expired entry to make room with.
 */
export interface MemoryStoreFullEvent {
  /** The map that is full. */
  readonly map: MemoryStoreMap
  /** Its cap. */
  readonly maxEntries: number
  /** The option that sets the cap, to raise: `maxEntries` or `maxEntriesPerMap.<map>`. */
  readonly option: string
  /**
   * `refused`: security state (revocations, spent refresh tokens, sessions) is never dropped
   * before it expires, so the new entry was refused and the caller got a 503
   * `StoreUnavailableError`. `evicted`: a rate-limit window (the only kind that may go) was
   * dropped to make room, so that key's count starts again.
   */
  readonly action: 'refused' | 'evicted'
  /** A sentence saying all of the above, as the default warning prints it. */
  readonly message: string
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most entries kept in each map (revoked tokens, sessions, families and subjects, used refresh
   * tokens, rate-limit keys, sessions). When a map is full, an insert first drops expired
   * entries. If none has expired, a rate-limit window makes room (the one closest to its end),
   * but security state is never dropped early: the new entry is refused with a 503
   * `StoreUnavailableError` (fail closed) and {@link MemoryStoreOptions.onFull} is told. Size it
   * from the memory per entry in `docs/revocation-and-sessions.md`, or use `RedisStore`.
   *
   * @defaultValue 100_000
   */
  readonly maxEntries?: number | undefined
  /**
   * A cap for some maps in particular, over `maxEntries` (for instance a larger
   * `usedRefreshTokens` when every refresh of a rotating family adds one entry).
   *
   * @defaultValue `maxEntries` for every map
   */
  readonly maxEntriesPerMap?: Partial<Record<MemoryStoreMap, number>> | undefined
  /**
   * Current time in seconds since the epoch. Inject one in tests to move time without waiting.
   *
   * @defaultValue `() => Date.now() / 1000`
   */
  readonly clock?: (() => number) | undefined
  /**
   * Called when a full map refuses an entry or evicts a rate-limit window, so that a too-small
   * cap shows up in logs and alerts. Called on the first such event of a map, then at most once
   * a minute per map (by the store's clock), so a flood cannot flood the logs too.
   *
   * @defaultValue a process warning (`process.emitWarning`, code `AUTHX_MEMORY_STORE_FULL`), or
   *   `console.warn` where there is no `process`
   */
  readonly onFull?: ((event: MemoryStoreFullEvent) => void) | undefined
}

/** Entry counts per map (expired entries not yet swept included). */
export type MemoryStoreStats = Record<MemoryStoreMap, number>

/** The store's name in the messages of its `TypeError`s. */
const STORE = 'MemoryStore'
const DEFAULT_MAX_ENTRIES = 100_000
/** Seconds between two warnings about one full map. */
const WARNING_INTERVAL = 60
const MAPS: ReadonlySet<string> = new Set<MemoryStoreMap>([
  'revokedTokens',
  'revokedSessions',
  'revokedFamilies',
  'revokedSubjects',
  'usedRefreshTokens',
  'rateLimits',
  'sessions',
])

/** The default {@link MemoryStoreOptions.onFull}. */
function warn(event: MemoryStoreFullEvent): void {
  emitStoreWarning('AUTHX_MEMORY_STORE_FULL', event.message)
}

/** How one map behaves when it reaches its cap. */
class Capacity implements ExpiringCapacity {
  readonly map: MemoryStoreMap
  readonly maxEntries: number
  readonly option: string
  /** Whether a live entry may make room (rate-limit windows only). */
  readonly evictable: boolean
  private readonly onFull: (event: MemoryStoreFullEvent) => void
  private lastWarning = -Infinity

  constructor(
    map: MemoryStoreMap,
    maxEntries: number,
    option: string,
    onFull: (event: MemoryStoreFullEvent) => void,
  ) {
    this.map = map
    this.maxEntries = maxEntries
    this.option = option
    this.evictable = map === 'rateLimits'
    this.onFull = onFull
  }

  /** Why the map cannot take one more entry; also the `reason` of the 503. */
  get reason(): string {
    return `${this.option} (${this.maxEntries}) reached for ${this.map}`
  }

  /** Tells `onFull`, once per {@link WARNING_INTERVAL} at most. */
  report(action: MemoryStoreFullEvent['action'], now: number): void {
    if (now - this.lastWarning < WARNING_INTERVAL) return
    this.lastWarning = now
    const message =
      action === 'refused'
        ? `MemoryStore: ${this.reason}; new entries are refused with a 503 until some expire. ` +
          `Raise ${this.option} (see the memory per entry in the docs) or use RedisStore.`
        : `MemoryStore: ${this.reason}; rate-limit windows are being evicted before their end, ` +
          `so their counts restart. Raise ${this.option} or use RedisStore.`
    try {
      this.onFull({
        map: this.map,
        maxEntries: this.maxEntries,
        option: this.option,
        action,
        message,
      })
    } catch {
      // A failing logger must not change what the store does: refuse (503) or make room.
    }
  }
}

/** A fixed-window counter: hits since `start`. */
interface Window {
  readonly start: number
  count: number
}

/** Runs a synchronous operation as a promise, turning a throw into a rejection. */
function settle<T>(operation: () => T): Promise<T> {
  // The executor runs synchronously, and a throw in it rejects the promise.
  return new Promise<T>((resolve) => resolve(operation()))
}

/** Copies a session so that neither the caller nor the store can change the other's copy. */
function copySession(session: SessionRecord): SessionRecord {
  return structuredClone(session)
}

/**
 * The cap of each map: `maxEntriesPerMap[map]` when given, `maxEntries` otherwise.
 *
 * @throws TypeError for a cap that is not a positive integer or an unknown map name
 */
function capacities(
  options: MemoryStoreOptions,
  onFull: (event: MemoryStoreFullEvent) => void,
): Record<MemoryStoreMap, Capacity> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('MemoryStore: maxEntries must be a positive integer')
  const perMap = options.maxEntriesPerMap ?? {}
  if (typeof perMap !== 'object' || perMap === null)
    throw new TypeError('MemoryStore: maxEntriesPerMap must be an object')
  for (const [map, cap] of Object.entries(perMap)) {
    if (!MAPS.has(map)) throw new TypeError(`MemoryStore: maxEntriesPerMap has no map ${map}`)
    if (cap !== undefined && (!Number.isSafeInteger(cap) || cap < 1))
      throw new TypeError(`MemoryStore: maxEntriesPerMap.${map} must be a positive integer`)
  }
  const capacity = (map: MemoryStoreMap): Capacity => {
    const own = perMap[map]
    return own === undefined
      ? new Capacity(map, maxEntries, 'maxEntries', onFull)
      : new Capacity(map, own, `maxEntriesPerMap.${map}`, onFull)
  }
  return {
    revokedTokens: capacity('revokedTokens'),
    revokedSessions: capacity('revokedSessions'),
    revokedFamilies: capacity('revokedFamilies'),
    revokedSubjects: capacity('revokedSubjects'),
    usedRefreshTokens: capacity('usedRefreshTokens'),
    rateLimits: capacity('rateLimits'),
    sessions: capacity('sessions'),
  }
}

/**
 * The embedded {@link Store}: revocations, refresh-token families, sessions and rate limits kept in
 * this process's memory.
 *
 * - Bounded, fail closed: each map holds at most `maxEntries` keys. A full map drops expired
 *   entries to make room; when none has expired, security state (revocations, spent refresh
 *   tokens, revoked families and subjects, sessions) is never dropped before its expiry: the new
 *   entry is refused with a 503 `StoreUnavailableError` and `onFull` is told. Only rate-limit
 *   windows may be evicted early.
 * - Expiring: an entry is gone at its `expiresAt`; expired entries are dropped when read and swept a
 *   few at a time on every write. No timer is used, so the store never keeps the process alive.
 * - Atomic: every method runs synchronously to completion before its promise resolves, so
 *   concurrent calls in one process cannot interleave (one `ok` per refresh token).
 * - Ids (subjects, jtis, session and family ids, rate-limit keys) must be well-formed strings, as
 *   with every store: one with a lone surrogate is refused with a `TypeError`.
 *
 * It is not shared between processes: several instances need `RedisStore` (`authx-ts/redis`).
 *
 * @example A store with a test clock
 * ```ts
 * let now = 1_700_000_000
 * const store = new MemoryStore({ clock: () => now })
 * await store.revoke('jti', 'abc', now + 60)
 * await store.isRevoked({ sub: 'alice', jti: 'abc' }) // true
 * now += 61
 * await store.isRevoked({ sub: 'alice', jti: 'abc' }) // false: the token has expired anyway
 * ```
 *
 * @example Caps sized for a million revocations, full maps reported to the application's logger
 * ```ts
 * const store = new MemoryStore({
 *   maxEntries: 1_000_000,
 *   onFull: ({ message }) => log.error(message),
 * })
 * ```
 */
export class MemoryStore implements Store, KeyRingStore {
  private readonly clock: () => number
  /** Key rings by name: few, small, and never expiring (the ring retires its own keys). */
  private readonly rings = new Map<string, StoredKeyRing>()
  private readonly jtis: ExpiringSet
  private readonly sids: ExpiringSet
  private readonly fams: ExpiringSet
  private readonly subjects: ExpiringMap<number>
  private readonly used: ExpiringSet
  private readonly windows: ExpiringMap<Window>
  private readonly sessions: ExpiringMap<SessionRecord>
  /** Session ids per subject; kept in step with `sessions` by its removal hook. */
  private readonly sessionsBySub = new Map<string, Set<string>>()
  private revocationsWritten = false

  /**
   * @param options - size caps, clock and full-map hook
   * @throws TypeError when a cap is not a positive integer, `maxEntriesPerMap` names an unknown
   *   map, or `clock` or `onFull` is not a function
   */
  constructor(options: MemoryStoreOptions = {}) {
    const clock = options.clock ?? (() => Date.now() / 1000)
    if (typeof clock !== 'function') throw new TypeError('MemoryStore: clock must be a function')
    const onFull = options.onFull ?? warn
    if (typeof onFull !== 'function') throw new TypeError('MemoryStore: onFull must be a function')
    const caps = capacities(options, onFull)
    this.clock = clock
    this.jtis = new ExpiringSet(caps.revokedTokens)
    this.sids = new ExpiringSet(caps.revokedSessions)
    this.fams = new ExpiringSet(caps.revokedFamilies)
    this.subjects = new ExpiringMap(caps.revokedSubjects)
    this.used = new ExpiringSet(caps.usedRefreshTokens)
    this.windows = new ExpiringMap(caps.rateLimits)
    this.sessions = new ExpiringMap(caps.sessions, (id, session) => this.unindex(session.sub, id))
  }

  /**
   * The key ring stored under `name`.
   *
   * @param name - the ring's name
   */
  getKeyRing(name: string): Promise<StoredKeyRing | null> {
    return Promise.resolve(this.rings.get(name) ?? null)
  }

  /**
   * Replaces the ring if its version is still `expected`.
   *
   * @param name - the ring's name
   * @param expected - the version the caller read (0: none)
   * @param document - the new document
   */
  swapKeyRing(name: string, expected: number, document: string): Promise<boolean> {
    if (typeof document !== 'string')
      return Promise.reject(new TypeError('document must be a string'))
    const version = this.rings.get(name)?.version ?? 0
    if (version !== expected) return Promise.resolve(false)
    this.rings.set(name, Object.freeze({ version: version + 1, document }))
    return Promise.resolve(true)
  }

  /**
   * Whether revocation state was ever written through this store: a `revoke` of any kind, a
   * `revokeSubject`, or a refresh-token reuse that revoked its family. Once true it stays true
   * (even after the entries expire), so a verifier that skips the store while it is false never
   * misses a revocation. A call that recorded nothing (an expiry already past, a full map) may
   * set it too: it errs on the side of consulting the store.
   */
  get holdsRevocations(): boolean {
    return this.revocationsWritten
  }

  /**
   * Revokes one identifier until `expiresAt`. A later expiry already recorded for it is kept.
   *
   * @param kind - `jti`, `sid` or `fam`
   * @param id - the identifier
   * @param expiresAt - when the entry may be forgotten (seconds since the epoch)
   * @throws TypeError (as a rejection) for an unknown kind, an ill-formed id or a bad time;
   *   StoreUnavailableError when the map is full of live revocations
   */
  revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void> {
    return settle(() => {
      checkArguments.revoke(STORE, kind, id, expiresAt)
      this.revocationsWritten = true
      this.revocations(kind).extend(id, expiresAt, this.clock())
    })
  }

  /**
   * Revokes every token of `sub` issued at or before `at`. Several revocations keep the latest
   * `at` and the latest `expiresAt`.
   *
   * @param sub - the subject
   * @param at - tokens with `iat <= at` are revoked
   * @param expiresAt - when the entry may be forgotten (after the last such token expires)
   * @throws TypeError (as a rejection) for an ill-formed subject or a bad time;
   *   StoreUnavailableError when the map is full of live revocations
   */
  revokeSubject(sub: string, at: number, expiresAt: number): Promise<void> {
    return settle(() => {
      checkArguments.revokeSubject(STORE, sub, at, expiresAt)
      this.revocationsWritten = true
      const now = this.clock()
      const currentAt = this.subjects.get(sub, now)
      const currentExpiry = this.subjects.expiryOf(sub, now) ?? expiresAt
      this.subjects.set(sub, Math.max(at, currentAt ?? at), Math.max(expiresAt, currentExpiry), now)
    })
  }

  /**
   * Whether the token is revoked by jti, session, family or subject. A token without `iat` counts
   * as revoked when its subject has a revocation: its age cannot be proven (fail closed).
   *
   * @param query - identifiers of a verified token
   * @throws TypeError (as a rejection) for an ill-formed identifier
   */
  isRevoked(query: RevocationQuery): Promise<boolean> {
    return settle(() => {
      checkArguments.isRevoked(STORE, query)
      const now = this.clock()
      if (query.jti !== undefined && this.jtis.has(query.jti, now)) return true
      if (query.sid !== undefined && this.sids.has(query.sid, now)) return true
      if (query.fam !== undefined && this.fams.has(query.fam, now)) return true
      const at = this.subjects.get(query.sub, now)
      return at !== undefined && (query.iat === undefined || query.iat <= at)
    })
  }

  /**
   * Marks refresh token `jti` of family `fam` used: `ok` the first time, `reused` the second (the
   * family is then revoked until `familyExpiresAt`), `revoked` once the family is revoked.
   *
   * @param fam - the family id
   * @param jti - the refresh token's id
   * @param familyExpiresAt - when the family's last token expires
   * @throws TypeError (as a rejection) for an ill-formed id or a bad time; StoreUnavailableError
   *   when the spent-token or revoked-family map is full of live entries (nothing is recorded then,
   *   and no `ok` is given)
   */
  useRefreshToken(fam: string, jti: string, familyExpiresAt: number): Promise<RefreshUse> {
    return settle((): RefreshUse => {
      checkArguments.useRefreshToken(STORE, fam, jti, familyExpiresAt)
      const now = this.clock()
      if (this.fams.has(fam, now)) return 'revoked'
      const key = storeKeys.used(fam, jti)
      if (this.used.has(key, now)) {
        this.revocationsWritten = true
        this.fams.extend(fam, familyExpiresAt, now)
        return 'reused'
      }
      this.used.extend(key, familyExpiresAt, now)
      return 'ok'
    })
  }

  /**
   * Counts one hit on `key` in a fixed window of `windowSeconds` that opens at the first hit.
   * A fixed window keeps one counter per key whatever the traffic (a sliding log would keep one
   * entry per hit, which a flood turns into memory), at the cost of allowing up to twice the limit
   * across a window boundary. `resetIn` is the real time until the window closes and frees its
   * slots. When the map is full of live windows, the one closest to its end is evicted (and
   * `onFull` told): rate limits are the only state this store drops early.
   *
   * @param key - what is limited (an IP, a user, a route...)
   * @param windowSeconds - the window length
   * @param now - the current time (seconds since the epoch)
   * @throws TypeError (as a rejection) for an ill-formed key or a bad window or time
   */
  hit(key: string, windowSeconds: number, now: number): Promise<RateLimitHit> {
    return settle((): RateLimitHit => {
      checkArguments.hit(STORE, key, windowSeconds, now)
      // The caller's `now` is the window's clock, so counting and expiry agree with it.
      const window = this.windows.get(key, now)
      if (window === undefined) {
        this.windows.set(key, { start: now, count: 1 }, now + windowSeconds, now)
        return { count: 1, resetIn: windowSeconds }
      }
      window.count += 1
      return {
        count: window.count,
        resetIn: Math.min(windowSeconds, window.start + windowSeconds - now),
      }
    })
  }

  /**
   * Forgets the counter of `key`.
   *
   * @param key - the rate-limited key
   * @throws TypeError (as a rejection) for an ill-formed key
   */
  resetHits(key: string): Promise<void> {
    return settle(() => {
      checkArguments.resetHits(STORE, key)
      this.windows.delete(key)
    })
  }

  /**
   * Saves (creates or replaces) a session until its `expiresAt`.
   *
   * @param session - the record; `data` must be structured-cloneable (JSON-compatible to work
   *   with every store)
   * @throws TypeError (as a rejection) for an ill-formed id or subject or a bad time;
   *   StoreUnavailableError when a new session finds the map full of live sessions
   */
  saveSession(session: SessionRecord): Promise<void> {
    return settle(() => {
      checkArguments.saveSession(STORE, session)
      const now = this.clock()
      const previous = this.sessions.peek(session.id)
      const copy = copySession(session)
      // First the write that may be refused (full map), so that a refusal changes nothing.
      this.sessions.set(session.id, copy, session.expiresAt, now)
      if (previous !== undefined && previous.sub !== session.sub)
        this.unindex(previous.sub, session.id)
      if (this.sessions.peek(session.id) !== copy) return
      let ids = this.sessionsBySub.get(session.sub)
      if (ids === undefined) this.sessionsBySub.set(session.sub, (ids = new Set()))
      ids.add(session.id)
    })
  }

  /**
   * A session by id, or null when unknown or expired.
   *
   * @param id - the session id
   * @throws TypeError (as a rejection) for an ill-formed id
   */
  getSession(id: string): Promise<SessionRecord | null> {
    return settle(() => {
      checkArguments.getSession(STORE, id)
      const session = this.sessions.get(id, this.clock())
      return session === undefined ? null : copySession(session)
    })
  }

  /**
   * The live sessions of a subject, oldest first.
   *
   * @param sub - the subject
   * @throws TypeError (as a rejection) for an ill-formed subject
   */
  listSessions(sub: string): Promise<SessionRecord[]> {
    return settle(() => {
      checkArguments.listSessions(STORE, sub)
      const ids = this.sessionsBySub.get(sub)
      if (ids === undefined) return []
      // Copy the ids: reading an expired session removes it from this very set.
      const live = [...this.sessions.entries([...ids], this.clock())]
      return oldestFirst(live).map(copySession)
    })
  }

  /**
   * Deletes one session.
   *
   * @param id - the session id
   * @returns true if a live session was deleted
   * @throws TypeError (as a rejection) for an ill-formed id
   */
  deleteSession(id: string): Promise<boolean> {
    return settle(() => {
      checkArguments.deleteSession(STORE, id)
      const live = this.sessions.has(id, this.clock())
      this.sessions.delete(id)
      return live
    })
  }

  /**
   * Deletes every session of a subject.
   *
   * @param sub - the subject
   * @returns how many live sessions were deleted
   * @throws TypeError (as a rejection) for an ill-formed subject
   */
  deleteSessions(sub: string): Promise<number> {
    return settle(() => {
      checkArguments.deleteSessions(STORE, sub)
      const ids = this.sessionsBySub.get(sub)
      if (ids === undefined) return 0
      const now = this.clock()
      let count = 0
      for (const id of [...ids]) {
        if (this.sessions.has(id, now)) count += 1
        this.sessions.delete(id)
      }
      return count
    })
  }

  /** Entry counts per map, for monitoring the caps (expired entries not yet swept included). */
  stats(): MemoryStoreStats {
    return {
      revokedTokens: this.jtis.size,
      revokedSessions: this.sids.size,
      revokedFamilies: this.fams.size,
      revokedSubjects: this.subjects.size,
      usedRefreshTokens: this.used.size,
      rateLimits: this.windows.size,
      sessions: this.sessions.size,
    }
  }

  private revocations(kind: RevocationKind): ExpiringSet {
    return kind === 'jti' ? this.jtis : kind === 'sid' ? this.sids : this.fams
  }

  private unindex(sub: string, id: string): void {
    const ids = this.sessionsBySub.get(sub)
    if (ids === undefined) return
    ids.delete(id)
    if (ids.size === 0) this.sessionsBySub.delete(sub)
  }
}
