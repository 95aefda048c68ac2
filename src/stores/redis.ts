/**
 * `authx-ts/redis`: the {@link Store} on Redis, so that every instance behind a load balancer sees
 * the same revocations, refresh-token families, sessions and rate limits. A revocation made on one
 * instance is seen by all the others on their next request.
 *
 * Requires Redis 6.2 or later (`SET ... PXAT`; Valkey speaks the same protocol) and ioredis, an
 * optional peer dependency that only this entry point loads. Runs on a standalone server, on Redis
 * Cluster (every multi-key script touches one hash slot) and behind Sentinel. An opt-in near-cache
 * answers revocation checks from memory, invalidated through Redis pub/sub within a bound.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto'
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis'
import type {
  RateLimitHit,
  RefreshUse,
  RevocationKind,
  RevocationQuery,
  KeyRingStore,
  SessionRecord,
  Store,
  StoredKeyRing,
} from './types.ts'
import { assertId, checkArguments, emitStoreWarning, oldestFirst, storeKeys } from './contract.ts'
import {
  DELETE_SESSION,
  DELETE_SESSIONS,
  HIT,
  INDEX_SESSION,
  LIST_SESSIONS,
  MARK_LOSS,
  REVOKE,
  REVOKE_SUBJECT,
  SAVE_SESSION,
  SWAP_KEY_RING,
  USE_REFRESH,
} from './redis-scripts.ts'
import type { Script } from './redis-scripts.ts'
import { RevocationNearCache, resolveNearCacheOptions } from './redis-near-cache.ts'
import type { NearCacheOptions, NearCacheStats } from './redis-near-cache.ts'

export type { NearCacheOptions, NearCacheStats } from './redis-near-cache.ts'

/** The ioredis clients a {@link RedisStore} runs on: one server (or Sentinel), or a Cluster. */
export type RedisClient = Redis | Cluster

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
  /**
   * Replicas that must acknowledge a revocation (`revoke`, `revokeSubject`, and the spent mark of
   * `useRefreshToken`) before it resolves, through `WAIT` on the master that took the write. A
   * revocation acknowledged this way survives the failover of that master to a replica that
   * acknowledged it (Redis replication is asynchronous otherwise: a failover can lose the last
   * writes). When fewer replicas answer within half of `commandTimeoutMs`, the operation rejects
   * (the request gets a 503) although the master has the write. Set 0 for a cluster or a Sentinel
   * setup without replicas.
   *
   * @defaultValue 1 on a Cluster client or a Sentinel client, 0 on a standalone server
   */
  readonly waitReplicas?: number | undefined
  /**
   * Keep revocation answers in this process's memory, invalidated through Redis pub/sub (`true`
   * for the defaults). Off by default. See {@link NearCacheOptions} for the bound on staleness and
   * the cap on memory; the store opens one extra connection for the subscription, which
   * {@link RedisStore.close} closes.
   *
   * @defaultValue false
   */
  readonly nearCache?: boolean | NearCacheOptions | undefined
  /**
   * Refuse the tokens whose revocations Redis may have lost. The store keeps a marker key
   * (`<prefix>epoch`, no TTL) that {@link createRedisStore} writes once (`0`: nothing lost). A
   * Redis restarted empty, flushed or failed over to a replica that never had the marker has lost
   * it, and with it perhaps revocations; the first check that finds it missing writes the current
   * time there, and from then on every token issued at or before that time counts as revoked
   * (its holder logs in again). Every check reads the marker along with the token's keys (the
   * near-cache keeps it). On a cluster the marker lives on one shard: a shard restarted empty
   * that does not hold it goes unseen, so run replicas there.
   *
   * @defaultValue false
   */
  readonly detectDataLoss?: boolean | undefined
}

/** A host and port: a seed node of a cluster, or a sentinel. */
export interface RedisNode {
  readonly host: string
  readonly port: number
}

/**
 * Where {@link createRedisStore} connects: a URL (`redis://` or `rediss://`), the seed nodes of a
 * Redis Cluster, or the sentinels and the master's name of a Sentinel setup.
 */
export type RedisTarget =
  | string
  | { readonly url: string }
  | { readonly clusterNodes: readonly RedisNode[] }
  | { readonly sentinels: readonly RedisNode[]; readonly sentinelMaster: string }

/** Options of {@link createRedisStore}. */
export interface CreateRedisStoreOptions extends RedisStoreOptions {
  /**
   * Extra ioredis options, applied over {@link recommendedRedisOptions} (for a cluster: to each
   * node's connection). `replyMapping` is left out (the store reads RESP2 replies) and
   * `lazyConnect` is the factory's own business.
   */
  readonly redis?: Omit<RedisOptions, 'replyMapping' | 'lazyConnect'> | undefined
  /** Extra options of the ioredis `Cluster`, for a cluster target. */
  readonly cluster?: Omit<ClusterOptions, 'redisOptions' | 'lazyConnect'> | undefined
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

/** Whether a standalone client finds its master through sentinels. */
function usesSentinels(client: RedisClient): boolean {
  return !client.isCluster && ((client as Redis).options.sentinels?.length ?? 0) > 0
}

/**
 * A hash tag for the keys of one refresh-token family, so that the family's revocation and its
 * spent tokens sit in one cluster slot (one script touches both). A digest rather than the id:
 * an id may contain braces or be empty, which would change which part Redis hashes.
 */
function familyTag(fam: string): string {
  return `{${createHash('sha1').update(fam).digest('base64url').slice(0, 16)}}`
}

/** The answer of `isRevoked` from the values of its keys: the subject's first, then the ids'. */
function isRevokedBy(query: RevocationQuery, values: readonly (string | null)[]): boolean {
  const [subject, ...ids] = values
  if (ids.some((value) => value !== null && value !== undefined)) return true
  if (subject === null || subject === undefined) return false
  // Written as "not after" so that an unreadable value revokes (fail closed).
  return query.iat === undefined || !(query.iat > Number(subject))
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
 *   one `MGET` (one `GET` per key on a cluster, sent together). On a cluster, the two keys a
 *   refresh-token use touches share a hash tag; sessions are saved index first, record second,
 *   since a subject's index and its sessions sit in different slots.
 * - Revocations publish their key on {@link RedisStore.invalidationChannel}, which the opt-in
 *   near-cache ({@link RedisStoreOptions.nearCache}) listens to. On a Cluster or Sentinel client
 *   they are acknowledged only once a replica has them ({@link RedisStoreOptions.waitReplicas}).
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
export class RedisStore implements Store, KeyRingStore {
  /** The ioredis client the store talks through: a server (or Sentinel) client, or a Cluster. */
  readonly client: RedisClient
  /** The prefix of every key this store writes. */
  readonly prefix: string
  /** The pub/sub channel on which every revocation is announced, for near-caches. */
  readonly invalidationChannel: string
  private readonly timeoutMs: number
  private readonly cluster: boolean
  private readonly waitReplicas: number
  private readonly nearCache: RevocationNearCache | undefined
  /** The data-loss marker's key, when {@link RedisStoreOptions.detectDataLoss} is on. */
  private readonly markerKey: string | undefined

  /**
   * @param client - an ioredis client or Cluster, ideally built with
   *   {@link recommendedRedisOptions}
   * @param options - key prefix, per-operation timeout, replica acknowledgements, near-cache
   * @throws TypeError when `commandTimeoutMs` is not a positive number, `prefix` is not a
   *   well-formed string, `waitReplicas` is not a whole number or a near-cache option is invalid
   */
  constructor(client: RedisClient, options: RedisStoreOptions = {}) {
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs))
      throw new TypeError('RedisStore: commandTimeoutMs must be a positive number')
    const prefix = options.prefix ?? DEFAULT_PREFIX
    assertId(STORE, 'prefix', prefix)
    const waitReplicas = options.waitReplicas ?? (client.isCluster || usesSentinels(client) ? 1 : 0)
    if (!Number.isInteger(waitReplicas) || waitReplicas < 0)
      throw new TypeError('RedisStore: waitReplicas must be a whole number')
    const near =
      options.nearCache === undefined || options.nearCache === false
        ? undefined
        : resolveNearCacheOptions(options.nearCache === true ? {} : options.nearCache)
    this.client = client
    this.prefix = prefix
    this.invalidationChannel = `${prefix}invalidate`
    this.timeoutMs = timeoutMs
    this.cluster = client.isCluster
    this.waitReplicas = waitReplicas
    // Outside every shape of `storeKeys` (each has a tag and a colon), so no id can spell it.
    this.markerKey = options.detectDataLoss === true ? `${prefix}epoch` : undefined
    const lasting = this.markerKey === undefined ? [] : [this.markerKey]
    this.nearCache =
      near === undefined
        ? undefined
        : new RevocationNearCache(
            () => this.subscriberClient(),
            this.invalidationChannel,
            near,
            lasting,
          )
  }

  /** The near-cache's counters, or undefined when the store has none. */
  get nearCacheStats(): NearCacheStats | undefined {
    return this.nearCache?.stats
  }

  /**
   * Closes what the store opened itself: the near-cache's subscriber connection and heartbeat.
   * The client stays open (it is the caller's).
   */
  close(): void {
    this.nearCache?.close()
  }

  /**
   * A new connection for the near-cache's subscription. On a cluster any node hears every
   * publication, so each connection goes to the next node of the current topology: after a node
   * dies, the next attempt finds a live one.
   */
  private subscriberClient(): Redis {
    const override = { lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false }
    if (!this.cluster) return (this.client as Redis).duplicate(override)
    const nodes = (this.client as Cluster).nodes('all')
    const node = nodes[this.subscriberTurn++ % Math.max(1, nodes.length)]
    if (node === undefined) throw new Error('RedisStore: the cluster has no known node')
    return node.duplicate(override)
  }

  private subscriberTurn = 0

  /**
   * Revokes one identifier until `expiresAt`; a later expiry already recorded is kept.
   *
   * @param kind - `jti`, `sid` or `fam`
   * @param id - the identifier
   * @param expiresAt - when the entry may be forgotten (seconds since the epoch)
   */
  async revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void> {
    checkArguments.revoke(STORE, kind, id, expiresAt)
    const key = this.revokedKey(kind, id)
    this.nearCache?.invalidate(key)
    await this.runDurable(
      'revoke',
      [key],
      [toMillis(expiresAt), this.invalidationChannel, key],
      REVOKE,
    )
    this.nearCache?.invalidate(key)
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
    const key = this.subjectKey(sub)
    this.nearCache?.invalidate(key)
    await this.runDurable(
      'revokeSubject',
      [key],
      [String(at), toMillis(expiresAt), this.invalidationChannel, key],
      REVOKE_SUBJECT,
    )
    this.nearCache?.invalidate(key)
  }

  /**
   * Whether the token is revoked by jti, session, family or subject: one `MGET` on a server, one
   * `GET` per key (sent together) on a cluster, where the keys sit in different slots; nothing at
   * all when the near-cache holds every answer. A token without `iat` counts as revoked when its
   * subject has a revocation (fail closed).
   *
   * @param query - identifiers of a verified token
   */
  async isRevoked(query: RevocationQuery): Promise<boolean> {
    checkArguments.isRevoked(STORE, query)
    const keys = this.revocationKeys(query)
    const marker = this.markerKey
    const cache = this.nearCache
    const cached = cache?.lookup(keys)
    if (cached !== undefined) return this.decide(query, cached)
    const ticket = cache?.ticket()
    const values = await this.call('isRevoked', () => this.readAll(keys))
    if (marker !== undefined && values[values.length - 1] === null) {
      // The marker is gone, and perhaps revocations with it: distrust every older token.
      values[values.length - 1] = await this.call('isRevoked', () => this.markLoss(marker))
    }
    if (ticket !== undefined) cache?.fill(keys, values, ticket)
    return this.decide(query, values)
  }

  /**
   * The answer of {@link RedisStore.isRevoked} from the near-cache alone, without a promise, or
   * undefined when the store has no near-cache or the cache cannot answer (then the guard awaits
   * `isRevoked`).
   *
   * @param query - identifiers of a verified token
   * @throws TypeError for an ill-formed query, as `isRevoked` rejects
   */
  isRevokedSync(query: RevocationQuery): boolean | undefined {
    const cache = this.nearCache
    if (cache === undefined) return undefined
    checkArguments.isRevoked(STORE, query)
    const cached = cache.lookup(this.revocationKeys(query), false)
    return cached === undefined ? undefined : this.decide(query, cached)
  }

  /** The keys a check reads: the subject's, the token's ids', then the data-loss marker. */
  private revocationKeys(query: RevocationQuery): string[] {
    const keys = [this.subjectKey(query.sub)]
    if (query.jti !== undefined) keys.push(this.revokedKey('jti', query.jti))
    if (query.sid !== undefined) keys.push(this.revokedKey('sid', query.sid))
    if (query.fam !== undefined) keys.push(this.revokedKey('fam', query.fam))
    if (this.markerKey !== undefined) keys.push(this.markerKey)
    return keys
  }

  /** The answer from the values of the keys, the marker last when there is one. */
  private decide(query: RevocationQuery, values: (string | null)[]): boolean {
    if (this.markerKey === undefined) return isRevokedBy(query, values)
    const lostAt = values[values.length - 1]
    // Written as "not after" so that an unreadable marker revokes (fail closed).
    if (query.iat === undefined || !(query.iat > Number(lostAt))) return true
    return isRevokedBy(query, values.slice(0, -1))
  }

  /** Writes the current time as the marker, unless another instance did first; returns it. */
  private async markLoss(marker: string): Promise<string> {
    const reply = (await this.evalScript(
      MARK_LOSS,
      [marker],
      [this.invalidationChannel, marker],
    )) as string
    this.nearCache?.invalidate(marker)
    return reply
  }

  /**
   * Writes the data-loss marker as "nothing lost" unless it exists: what a new deployment does
   * once, before serving ({@link createRedisStore} calls it when
   * {@link RedisStoreOptions.detectDataLoss} is on). Does nothing without that option.
   */
  async initialize(): Promise<void> {
    const marker = this.markerKey
    if (marker === undefined) return
    await this.call('initialize', () => this.client.set(marker, '0', 'NX'))
  }

  /** The values of `keys`, in one `MGET` where they may share a slot. */
  private readAll(keys: string[]): Promise<(string | null)[]> {
    if (!this.cluster) return (this.client as Redis).mget(keys)
    return Promise.all(keys.map((key) => this.client.get(key)))
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
    const familyKey = this.revokedKey('fam', fam)
    const result = await this.runDurable(
      'useRefreshToken',
      [familyKey, this.familyKey(storeKeys.used(fam, jti), fam)],
      [toMillis(familyExpiresAt), this.invalidationChannel, familyKey],
      USE_REFRESH,
    )
    if (result !== 'ok') this.nearCache?.invalidate(familyKey)
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
    if (this.cluster) {
      // Index first, record second (see INDEX_SESSION): the two keys sit in different slots.
      const at = toMillis(session.expiresAt)
      await this.call('saveSession', async () => {
        await this.evalScript(INDEX_SESSION, [this.indexKey(session.sub)], [session.id, at])
        await this.client.set(this.sessionKey(session.id), JSON.stringify(session), 'PXAT', at)
      })
      return
    }
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
      if (this.cluster) {
        // Across slots, an id without a record cannot be told apart from a session being saved
        // (index first, record second), so it stays in the index, which expires with the
        // longest session it lists.
        const values = await Promise.all(keys.map((key) => this.client.get(key)))
        return values.filter((value): value is string => value !== null)
      }
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
      if (this.cluster) {
        const count = await this.client.del(key)
        await this.client.srem(this.indexKey(sub), id)
        return count
      }
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
      if (this.cluster) {
        const counts = await Promise.all(keys.map((key) => this.client.del(key)))
        await this.client.srem(index, ...ids)
        return counts.reduce((sum, count) => sum + count, 0)
      }
      return (await this.evalScript(DELETE_SESSIONS, [index, ...keys], ids)) as number
    })
  }

  /**
   * The key ring stored under `name`.
   *
   * @param name - the ring's name
   */
  async getKeyRing(name: string): Promise<StoredKeyRing | null> {
    const [version, document] = await this.call('getKeyRing', () =>
      this.client.hmget(this.keyRingKey(name), 'version', 'document'),
    )
    if (typeof version !== 'string' || typeof document !== 'string') return null
    return { version: Number(version), document }
  }

  /**
   * Replaces the ring if its version is still `expected`, in one script, and (with
   * `waitReplicas`) only once replicas acknowledged it.
   *
   * @param name - the ring's name
   * @param expected - the version the caller read (0: none)
   * @param document - the new document
   */
  async swapKeyRing(name: string, expected: number, document: string): Promise<boolean> {
    const reply = await this.runDurable(
      'swapKeyRing',
      [this.keyRingKey(name)],
      [expected, document],
      SWAP_KEY_RING,
    )
    return reply === 1
  }

  private keyRingKey(name: string): string {
    return this.key(storeKeys.keyRing(name))
  }

  // Every key is the prefix plus one of the shapes of `storeKeys`, which no id can forge.
  private key(suffix: string): string {
    return this.prefix + suffix
  }

  private revokedKey(kind: RevocationKind, id: string): string {
    if (kind === 'fam') return this.familyKey(storeKeys.revoked(kind, id), id)
    return this.key(storeKeys.revoked(kind, id))
  }

  /**
   * A key of family `fam`: on a cluster, the family's hash tag comes right after the prefix, so
   * that every key of the family has the same text up to the tag's closing brace and lands in one
   * slot whatever the prefix holds. Adding a tag determined by the rest of the key keeps keys
   * distinct.
   */
  private familyKey(suffix: string, fam: string): string {
    return this.cluster ? this.prefix + familyTag(fam) + suffix : this.key(suffix)
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

  /**
   * Runs one script that must survive a failover: followed, on the same connection and so on the
   * same master, by `WAIT` for {@link RedisStoreOptions.waitReplicas} replicas. Fewer
   * acknowledgements make the operation fail (not acknowledged), although the master has it.
   */
  private runDurable(
    op: string,
    keys: string[],
    args: (string | number)[],
    lua: Script,
  ): Promise<unknown> {
    const replicas = this.waitReplicas
    if (replicas === 0) return this.run(op, keys, args, lua)
    const waitMs = Math.max(1, Math.floor(this.timeoutMs / 2))
    return this.call(op, async () => {
      const send = (byHash: boolean) => {
        const pipeline = this.client.pipeline()
        if (byHash) pipeline.evalsha(lua.sha, keys.length, ...keys, ...args)
        else pipeline.eval(lua.source, keys.length, ...keys, ...args)
        return pipeline.wait(replicas, waitMs).exec()
      }
      let replies = await send(true)
      if (isNoScript(replies?.[0]?.[0])) replies = await send(false)
      const [[scriptError, result] = [], [waitError, acknowledged] = []] = replies ?? []
      if (scriptError) throw scriptError
      if (waitError) throw waitError
      if (typeof acknowledged !== 'number' || acknowledged < replicas) {
        throw new Error(
          `${String(acknowledged)} of ${replicas} replicas acknowledged the write within ${waitMs} ms`,
        )
      }
      return result
    })
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
 * Builds the ioredis client for a target, not yet connected: a `Cluster` for seed nodes, a
 * Sentinel client for sentinels, a plain client for a URL. Every connection fails fast
 * ({@link recommendedRedisOptions}) so that an outage is a 503 at once.
 */
async function buildClient(
  target: RedisTarget,
  options: CreateRedisStoreOptions,
  timeoutMs: number,
): Promise<RedisClient> {
  const { Redis: RedisClient, Cluster: ClusterClient } = await import('ioredis')
  const redisOptions = { ...recommendedRedisOptions(timeoutMs), ...options.redis }
  if (typeof target === 'string')
    return new RedisClient(target, { ...redisOptions, lazyConnect: true })
  if ('url' in target) return new RedisClient(target.url, { ...redisOptions, lazyConnect: true })
  if ('clusterNodes' in target) {
    if (target.clusterNodes.length === 0)
      throw new TypeError('createRedisStore: clusterNodes must name at least one node')
    return new ClusterClient(
      target.clusterNodes.map(({ host, port }) => ({ host, port })),
      {
        // Fail fast while a slot has no master (a failover in progress), then find the new one.
        enableOfflineQueue: false,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        slotsRefreshTimeout: Math.max(timeoutMs, 1000),
        // Also look at the topology every two seconds: after a failover, a client that only
        // refreshes on errors can keep a dead master's slots until its retries run out.
        slotsRefreshInterval: 2000,
        clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
        ...options.cluster,
        redisOptions,
        lazyConnect: true,
      },
    )
  }
  if (target.sentinels.length === 0 || target.sentinelMaster === '')
    throw new TypeError('createRedisStore: sentinels and sentinelMaster must not be empty')
  return new RedisClient({
    ...redisOptions,
    sentinels: target.sentinels.map(({ host, port }) => ({ host, port })),
    name: target.sentinelMaster,
    // Reconnect to the new master as soon as a sentinel announces it.
    failoverDetector: true,
    lazyConnect: true,
  })
}

/**
 * Connects to Redis with {@link recommendedRedisOptions} and returns a {@link RedisStore} on that
 * client, once the connection is ready (so the first requests do not fail for lack of one).
 * ioredis is loaded here, on demand. The target is a URL, the seed nodes of a Redis Cluster, or
 * the sentinels of a Sentinel setup with the master's name. Close with `store.close()` and then
 * `await store.client.quit()`. Emits a process warning (code `AUTHX_REDIS_EVICTION_POLICY`) when
 * the server's `maxmemory-policy` is not `noeviction`, since an evicting Redis can forget
 * revocations before they expire.
 *
 * @param target - a Redis URL such as `redis://user:pass@host:6379/0`, `{ clusterNodes }` or
 *   `{ sentinels, sentinelMaster }`
 * @param options - store options, plus `redis` for extra ioredis options and `cluster` for extra
 *   Cluster options
 * @throws Error naming the target (without credentials) and why, with the connection error as
 *   `cause`, when the first connection fails;
 *   TypeError for a bad option or an empty target, before connecting
 *
 * @example One server
 * ```ts
 * import { AuthX } from 'authx-ts/fastify'
 * import { createRedisStore } from 'authx-ts/redis'
 * const store = await createRedisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
 * ```
 *
 * @example A cluster, with revocation checks answered from memory
 * ```ts
 * const store = await createRedisStore(
 *   { clusterNodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }] },
 *   { nearCache: { maxStalenessMs: 1000 } },
 * )
 * ```
 *
 * @example Sentinel
 * ```ts
 * const store = await createRedisStore({
 *   sentinels: [{ host: '10.0.0.5', port: 26379 }],
 *   sentinelMaster: 'mymaster',
 * })
 * ```
 */
export async function createRedisStore(
  target: RedisTarget,
  options: CreateRedisStoreOptions = {},
): Promise<RedisStore> {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_TIMEOUT_MS
  const client = await buildClient(target, options, timeoutMs)
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
    store.close()
    client.disconnect()
    const cause = socketError ?? error
    const why = cause instanceof Error ? cause.message : String(cause)
    const message = `createRedisStore: cannot connect to Redis at ${describeTarget(target)}: ${why}`
    // The socket's error is the cause worth keeping; the caught one only says the client closed.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(message, { cause })
  } finally {
    client.off('error', remember)
  }
  try {
    await store.initialize()
  } catch (error) {
    store.close()
    client.disconnect()
    throw new Error('createRedisStore: cannot write to Redis', { cause: error })
  }
  await warnIfEvicting(store)
  return store
}

/**
 * Where a store was told to connect, fit for an error message: a URL's user name and password
 * become `***`; text that does not parse as a URL loses everything up to its last `@`, where
 * credentials would be. Cluster and Sentinel targets are listed as `host:port` nodes.
 *
 * @param target - what {@link createRedisStore} was given
 * @returns the target without credentials
 */
function describeTarget(target: RedisTarget): string {
  if (typeof target !== 'string' && !('url' in target)) {
    const nodes = 'clusterNodes' in target ? target.clusterNodes : target.sentinels
    const list = nodes.map(({ host, port }) => `${host}:${port}`).join(', ')
    return 'clusterNodes' in target
      ? `cluster nodes ${list}`
      : `sentinels ${list} (master ${target.sentinelMaster})`
  }
  const url = typeof target === 'string' ? target : target.url
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
    // On a cluster this asks one node; they share one configuration in practice.
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
