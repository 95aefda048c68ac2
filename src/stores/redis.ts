/**
 * `authx-ts/redis`: the {@link Store} on Redis, so that every instance behind a load balancer sees
 * the same revocations, refresh-token families, sessions and rate limits. A revocation made on one
 * instance is seen by all the others on their next request.
 *
 * Requires Redis 6.2 or later (`SET ... PXAT`) and ioredis, an optional peer dependency that only
 * this entry point loads. Standalone and Sentinel deployments are supported; Redis Cluster is not
 * (the revocation check reads several keys in one `MGET`).
 *
 * @packageDocumentation
 */
import type { Redis, RedisOptions } from 'ioredis'
import type {
  RateLimitHit,
  RefreshUse,
  RevocationKind,
  RevocationQuery,
  SessionRecord,
  Store,
} from './types.ts'
import { assertId, checkArguments, emitStoreWarning, oldestFirst, storeKeys } from './contract.ts'
import {
  DELETE_SESSION,
  DELETE_SESSIONS,
  HIT,
  LIST_SESSIONS,
  REVOKE,
  REVOKE_SUBJECT,
  SAVE_SESSION,
  USE_REFRESH,
} from './redis-scripts.ts'
import type { Script } from './redis-scripts.ts'

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, so that several applications (or test runs) can share one database.
   * What follows it is one of a fixed set of key shapes that no id (with `:` or the prefix in it)
   * can forge.
   *
   * @defaultValue `'authx:'`
   */
  readonly prefix?: string | undefined
  /**
   * Longest wait for one store operation, in milliseconds. Past it the operation rejects (and the
   * request fails closed with a 503) even if the client would keep the command queued.
   *
   * @defaultValue 1000
   */
  readonly commandTimeoutMs?: number | undefined
}

/** Options of {@link createRedisStore}. */
export interface CreateRedisStoreOptions extends RedisStoreOptions {
  /**
   * Extra ioredis options, applied over {@link recommendedRedisOptions}. `replyMapping` is left
   * out (the store reads RESP2 replies) and `lazyConnect` is the factory's own business.
   */
  readonly redis?: Omit<RedisOptions, 'replyMapping' | 'lazyConnect'> | undefined
}

const DEFAULT_PREFIX = 'authx:'
const DEFAULT_TIMEOUT_MS = 1000
/** The store's name in the messages of its `TypeError`s. */
const STORE = 'RedisStore'

/** The client options {@link recommendedRedisOptions} sets. */
export type RecommendedRedisOptions = Required<
  Pick<
    RedisOptions,
    'enableOfflineQueue' | 'maxRetriesPerRequest' | 'commandTimeout' | 'connectTimeout'
  >
>

/**
 * The ioredis options that make a client fail fast instead of queueing commands while Redis is
 * down, so that authentication answers 503 at once rather than hanging:
 *
 * - `enableOfflineQueue: false`: a command sent while disconnected is rejected immediately;
 * - `maxRetriesPerRequest: 1`: a command caught by a dropped connection is retried once at most;
 * - `commandTimeout`: a command with no reply is rejected after `commandTimeoutMs`;
 * - `connectTimeout: 2000`: a connection attempt to an unreachable host gives up quickly.
 *
 * With the offline queue off, commands sent before the first connection is ready fail too: wait
 * for the client's `ready` event (or use `lazyConnect` and `await client.connect()`) before
 * serving requests, as {@link createRedisStore} does. ioredis reconnects on its own afterwards.
 *
 * @param commandTimeoutMs - reply timeout per command, in milliseconds
 * @returns options to spread into `new Redis(url, { ... })`
 *
 * @example A client built by the application
 * ```ts
 * import { Redis } from 'ioredis'
 * import { RedisStore, recommendedRedisOptions } from 'authx-ts/redis'
 * const client = new Redis(process.env.REDIS_URL!, { ...recommendedRedisOptions(), lazyConnect: true })
 * await client.connect()
 * const store = new RedisStore(client)
 * ```
 */
export function recommendedRedisOptions(
  commandTimeoutMs: number = DEFAULT_TIMEOUT_MS,
): RecommendedRedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
  }
}

/** Seconds to the epoch milliseconds Redis wants; at least 1, since `PXAT 0` is an error. */
function toMillis(seconds: number): number {
  return Math.max(1, Math.ceil(seconds * 1000))
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

function parseSession(json: string): SessionRecord {
  return JSON.parse(json) as SessionRecord
}

/**
 * The {@link Store} on a Redis server through an ioredis client, shared by every instance that
 * uses the same server and prefix.
 *
 * - Keys are namespaced by `prefix` and expire on their own at their `expiresAt`. Their shapes
 *   can be read back in one way only (ids but the last are length-prefixed), so an id containing
 *   `:` or the prefix cannot reach another key.
 * - Ids (subjects, jtis, session and family ids, rate-limit keys) must be well-formed strings: one
 *   with a lone surrogate is refused with a `TypeError`, since Redis would store it as U+FFFD and
 *   merge it with another id.
 * - Every multi-step change is one Lua script, so it is atomic across instances; `isRevoked` is
 *   one `MGET`.
 * - Every operation settles within `commandTimeoutMs`: an ioredis error or a timeout rejects with
 *   a plain `Error` whose `cause` is the original (the library answers 503, fail closed). Configure
 *   the client with {@link recommendedRedisOptions} so that it does not queue commands while Redis
 *   is down.
 *
 * The client belongs to the caller: the store never connects or closes it. A client `keyPrefix`
 * composes with `prefix` (every key a script touches is passed to it, never built inside it).
 *
 * @example Sharing state between instances
 * ```ts
 * import { Redis } from 'ioredis'
 * import { RedisStore, recommendedRedisOptions } from 'authx-ts/redis'
 * const client = new Redis('redis://127.0.0.1:6379', { ...recommendedRedisOptions(), lazyConnect: true })
 * await client.connect() // with the offline queue off, commands before `ready` would fail
 * const store = new RedisStore(client, { prefix: 'myapp:auth:' })
 * await store.revoke('jti', payload.jti, payload.exp)
 * ```
 */
export class RedisStore implements Store {
  /** The ioredis client the store talks through. */
  readonly client: Redis
  /** The prefix of every key this store writes. */
  readonly prefix: string
  private readonly timeoutMs: number

  /**
   * @param client - an ioredis client, ideally built with {@link recommendedRedisOptions}
   * @param options - key prefix and per-operation timeout
   * @throws TypeError when `commandTimeoutMs` is not a positive number or `prefix` is not a
   *   well-formed string
   */
  constructor(client: Redis, options: RedisStoreOptions = {}) {
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs))
      throw new TypeError('RedisStore: commandTimeoutMs must be a positive number')
    const prefix = options.prefix ?? DEFAULT_PREFIX
    assertId(STORE, 'prefix', prefix)
    this.client = client
    this.prefix = prefix
    this.timeoutMs = timeoutMs
  }

  /**
   * Revokes one identifier until `expiresAt`; a later expiry already recorded is kept.
   *
   * @param kind - `jti`, `sid` or `fam`
   * @param id - the identifier
   * @param expiresAt - when the entry may be forgotten (seconds since the epoch)
   */
  async revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void> {
    checkArguments.revoke(STORE, kind, id, expiresAt)
    await this.run('revoke', [this.revokedKey(kind, id)], [toMillis(expiresAt)], REVOKE)
  }

  /**
   * Revokes every token of `sub` issued at or before `at`, keeping the latest `at` and the latest
   * `expiresAt` of all such revocations.
   *
   * @param sub - the subject
   * @param at - tokens with `iat <= at` are revoked
   * @param expiresAt - when the entry may be forgotten (after the last such token expires)
   */
  async revokeSubject(sub: string, at: number, expiresAt: number): Promise<void> {
    checkArguments.revokeSubject(STORE, sub, at, expiresAt)
    await this.run(
      'revokeSubject',
      [this.subjectKey(sub)],
      [String(at), toMillis(expiresAt)],
      REVOKE_SUBJECT,
    )
  }

  /**
   * Whether the token is revoked by jti, session, family or subject, in one `MGET`. A token without
   * `iat` counts as revoked when its subject has a revocation (fail closed).
   *
   * @param query - identifiers of a verified token
   */
  async isRevoked(query: RevocationQuery): Promise<boolean> {
    checkArguments.isRevoked(STORE, query)
    const keys = [this.subjectKey(query.sub)]
    if (query.jti !== undefined) keys.push(this.revokedKey('jti', query.jti))
    if (query.sid !== undefined) keys.push(this.revokedKey('sid', query.sid))
    if (query.fam !== undefined) keys.push(this.revokedKey('fam', query.fam))
    const values = await this.call('isRevoked', () => this.client.mget(keys))
    const [subject, ...ids] = values
    if (ids.some((value) => value !== null)) return true
    if (subject === null || subject === undefined) return false
    // Written as "not after" so that an unreadable value revokes (fail closed).
    return query.iat === undefined || !(query.iat > Number(subject))
  }

  /**
   * Marks refresh token `jti` of family `fam` used, in one Lua script: `ok` the first time,
   * `reused` the second (the family is then revoked until `familyExpiresAt`), `revoked` once the
   * family is revoked.
   *
   * @param fam - the family id
   * @param jti - the refresh token's id
   * @param familyExpiresAt - when the family's last token expires
   */
  async useRefreshToken(fam: string, jti: string, familyExpiresAt: number): Promise<RefreshUse> {
    checkArguments.useRefreshToken(STORE, fam, jti, familyExpiresAt)
    const result = await this.run(
      'useRefreshToken',
      [this.revokedKey('fam', fam), this.key(storeKeys.used(fam, jti))],
      [toMillis(familyExpiresAt)],
      USE_REFRESH,
    )
    if (result === 'ok' || result === 'reused' || result === 'revoked') return result
    throw new Error(`RedisStore.useRefreshToken: unexpected reply from Redis`)
  }

  /**
   * Counts one hit on `key` in a fixed window of `windowSeconds` opened by the first hit (one
   * counter per key, so a flood cannot grow it; up to twice the limit can pass across a window
   * boundary). `resetIn` is the real time until the window closes and frees its slots.
   *
   * @param key - what is limited (an IP, a user, a route...)
   * @param windowSeconds - the window length
   * @param now - the current time (seconds since the epoch)
   */
  async hit(key: string, windowSeconds: number, now: number): Promise<RateLimitHit> {
    checkArguments.hit(STORE, key, windowSeconds, now)
    const reply = await this.run(
      'hit',
      [this.hitKey(key)],
      [String(now), String(windowSeconds), Math.ceil(windowSeconds * 1000)],
      HIT,
    )
    const [count, start] = reply as [number, string]
    return { count, resetIn: Math.min(windowSeconds, Number(start) + windowSeconds - now) }
  }

  /**
   * Forgets the counter of `key`.
   *
   * @param key - the rate-limited key
   */
  async resetHits(key: string): Promise<void> {
    checkArguments.resetHits(STORE, key)
    await this.call('resetHits', () => this.client.del(this.hitKey(key)))
  }

  /**
   * Saves (creates or replaces) a session, as JSON, until its `expiresAt`, and indexes it under
   * its subject.
   *
   * @param session - the record; `data` must be JSON-serialisable
   */
  async saveSession(session: SessionRecord): Promise<void> {
    checkArguments.saveSession(STORE, session)
    await this.run(
      'saveSession',
      [this.sessionKey(session.id), this.indexKey(session.sub)],
      [JSON.stringify(session), session.id, toMillis(session.expiresAt)],
      SAVE_SESSION,
    )
  }

  /**
   * A session by id, or null when unknown or expired.
   *
   * @param id - the session id
   */
  async getSession(id: string): Promise<SessionRecord | null> {
    checkArguments.getSession(STORE, id)
    const json = await this.call('getSession', () => this.client.get(this.sessionKey(id)))
    return json === null ? null : parseSession(json)
  }

  /**
   * The live sessions of a subject, oldest first. Ids of expired sessions are dropped from the
   * subject's index on the way.
   *
   * @param sub - the subject
   */
  async listSessions(sub: string): Promise<SessionRecord[]> {
    checkArguments.listSessions(STORE, sub)
    const index = this.indexKey(sub)
    const found = await this.call('listSessions', async () => {
      const ids = await this.client.smembers(index)
      if (ids.length === 0) return []
      const keys = ids.map((id) => this.sessionKey(id))
      return (await this.evalScript(LIST_SESSIONS, [index, ...keys], ids)) as string[]
    })
    return oldestFirst(found.map(parseSession))
  }

  /**
   * Deletes one session.
   *
   * @param id - the session id
   * @returns true if a live session was deleted
   */
  async deleteSession(id: string): Promise<boolean> {
    checkArguments.deleteSession(STORE, id)
    const key = this.sessionKey(id)
    const deleted = await this.call('deleteSession', async () => {
      // The index key needs the subject, which only the record knows.
      const json = await this.client.get(key)
      if (json === null) return 0
      const { sub } = parseSession(json)
      return await this.evalScript(DELETE_SESSION, [key, this.indexKey(sub)], [id])
    })
    return deleted === 1
  }

  /**
   * Deletes every session of a subject.
   *
   * @param sub - the subject
   * @returns how many live sessions were deleted
   */
  async deleteSessions(sub: string): Promise<number> {
    checkArguments.deleteSessions(STORE, sub)
    const index = this.indexKey(sub)
    return await this.call('deleteSessions', async () => {
      const ids = await this.client.smembers(index)
      if (ids.length === 0) return 0
      const keys = ids.map((id) => this.sessionKey(id))
      return (await this.evalScript(DELETE_SESSIONS, [index, ...keys], ids)) as number
    })
  }

  // Every key is the prefix plus one of the shapes of `storeKeys`, which no id can forge.
  private key(suffix: string): string {
    return this.prefix + suffix
  }

  private revokedKey(kind: RevocationKind, id: string): string {
    return this.key(storeKeys.revoked(kind, id))
  }

  private subjectKey(sub: string): string {
    return this.key(storeKeys.subject(sub))
  }

  private hitKey(key: string): string {
    return this.key(storeKeys.hit(key))
  }

  private sessionKey(id: string): string {
    return this.key(storeKeys.session(id))
  }

  private indexKey(sub: string): string {
    return this.key(storeKeys.sessionIndex(sub))
  }

  /** Runs one script as a whole store operation, within the timeout. */
  private run(
    op: string,
    keys: string[],
    args: (string | number)[],
    lua: Script,
  ): Promise<unknown> {
    return this.call(op, () => this.evalScript(lua, keys, args))
  }

  /** Runs a script by SHA, sending its source once when the server does not know it yet. */
  private async evalScript(
    lua: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await this.client.evalsha(lua.sha, keys.length, ...keys, ...args)
    } catch (error) {
      // A restarted or flushed server has forgotten the script: send it whole.
      if (!isNoScript(error)) throw error
      return await this.client.eval(lua.source, keys.length, ...keys, ...args)
    }
  }

  /**
   * Settles within the timeout whatever the client does (one deadline per store operation, however
   * many round trips it takes): a failure or a timeout becomes a plain `Error` with the original as
   * `cause`, which the library maps to a 503.
   */
  private call<T>(op: string, command: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const cause = new DOMException(`no reply within ${this.timeoutMs} ms`, 'TimeoutError')
        reject(new Error(`RedisStore.${op}: Redis did not answer in time`, { cause }))
      }, this.timeoutMs)
      // A pending timeout must not keep a shutting-down process alive.
      timer.unref()
      // A synchronous throw from the client becomes a rejection like any other failure.
      new Promise<T>((settle) => settle(command())).then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          const message = error instanceof Error ? error.message : String(error)
          reject(new Error(`RedisStore.${op} failed: ${message}`, { cause: error }))
        },
      )
    })
  }
}

/**
 * Connects to Redis with {@link recommendedRedisOptions} and returns a {@link RedisStore} on that
 * client, once the connection is ready (so the first requests do not fail for lack of one).
 * ioredis is loaded here, on demand. Close with `await store.client.quit()`. Emits a process
 * warning (code `AUTHX_REDIS_EVICTION_POLICY`) when the server's `maxmemory-policy` is not
 * `noeviction`, since an evicting Redis can forget revocations before they expire.
 *
 * @param url - a Redis URL such as `redis://user:pass@host:6379/0`
 * @param options - store options, plus `redis` for extra ioredis options
 * @throws Error naming the URL (without its credentials) and why, with the connection error as
 *   `cause`, when the first connection fails;
 *   TypeError for a bad `commandTimeoutMs` or `prefix`, before connecting
 *
 * @example
 * ```ts
 * import { AuthX } from 'authx-ts/fastify'
 * import { createRedisStore } from 'authx-ts/redis'
 * const store = await createRedisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 * ```
 */
export async function createRedisStore(
  url: string,
  options: CreateRedisStoreOptions = {},
): Promise<RedisStore> {
  const { Redis: RedisClient } = await import('ioredis')
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS
  const client = new RedisClient(url, {
    ...recommendedRedisOptions(timeoutMs),
    ...options.redis,
    lazyConnect: true,
  })
  // The connection error is reported by the rejection below: keep ioredis from also printing it
  // as an unhandled 'error' event, and keep it, since `connect()` itself only rejects with
  // "Connection is closed". Later errors are the application's to listen to.
  let socketError: unknown
  const remember = (error: unknown): void => {
    socketError = error
  }
  let store: RedisStore
  try {
    // Options are checked before connecting, so a bad one leaves no connection behind.
    store = new RedisStore(client, options)
  } catch (error) {
    client.disconnect()
    throw error
  }
  client.on('error', remember)
  try {
    await client.connect()
  } catch (error) {
    // Stop the reconnection loop: nobody holds this client.
    client.disconnect()
    const cause = socketError ?? error
    const why = cause instanceof Error ? cause.message : String(cause)
    // The socket's error is the cause worth keeping; the caught one only says the client closed.
    const message = `createRedisStore: cannot connect to Redis at ${redactRedisUrl(url)}: ${why}`
    // eslint-disable-next-line preserve-caught-error
    throw new Error(message, { cause })
  } finally {
    client.off('error', remember)
  }
  await warnIfEvicting(store)
  return store
}

/**
 * A Redis URL fit for an error message: the user name and password are replaced with `***`.
 * Text that does not parse as a URL loses everything up to its last `@`, where credentials
 * would be.
 *
 * @param url - the URL given to {@link createRedisStore}
 * @returns the URL without credentials
 */
function redactRedisUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    const at = url.lastIndexOf('@')
    return at === -1 ? url : `***@${url.slice(at + 1)}`
  }
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = '***'
    parsed.password = ''
  }
  return parsed.href
}

/**
 * Warns when the server may evict keys before their TTL: with a `maxmemory-policy` other than
 * `noeviction`, a Redis under memory pressure drops keys it chooses, and every key of this store
 * has a TTL (so even the `volatile-*` policies take them). A dropped revocation or spent refresh
 * token lets its token back in, and anyone with an account can fill the memory on purpose. With
 * `noeviction`, writes fail instead and the library answers 503 (fail closed). `INFO` is used,
 * not `CONFIG GET`, which managed services often disable; when it cannot be read, nothing is said.
 */
async function warnIfEvicting(store: RedisStore): Promise<void> {
  let info: string
  try {
    info = await store.client.info('memory')
  } catch {
    return
  }
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1]
  if (policy === undefined || policy === 'noeviction') return
  const message =
    `RedisStore: the server's maxmemory-policy is ${policy}, so under memory pressure Redis may ` +
    `evict revocations and spent refresh tokens before they expire and let revoked tokens back ` +
    `in. Set maxmemory-policy noeviction (writes then fail and requests get a 503).`
  emitStoreWarning('AUTHX_REDIS_EVICTION_POLICY', message)
}
