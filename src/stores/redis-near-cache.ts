/**
 * The near-cache of `RedisStore`: revocation answers kept in this process's memory, so that a
 * revocation-checked request usually costs no round trip to Redis. Every revocation the store
 * writes publishes its key on the store's invalidation channel (inside the same Lua script), and
 * each near-cache, subscribed to that channel on a connection of its own, drops the key at once.
 *
 * The cache is only trusted while it can prove that it hears the channel, so a lost, cut or frozen
 * connection never leaves an instance serving stale answers:
 *
 * - a heartbeat `PING` goes down the subscriber connection every quarter of `maxStalenessMs`.
 *   Redis answers it after every message published before it, so an answered ping sent at `t`
 *   proves that every invalidation published before `t` was applied. The cache answers only until
 *   `t + maxStalenessMs`; past that it is dropped and every check goes to Redis (which fails
 *   closed with a 503 when Redis cannot be reached either);
 * - when the subscriber connection closes, the cache is dropped at once and stays off until a
 *   new connection has subscribed and answered a ping;
 * - each entry also lives at most `maxStalenessMs` from the moment its read was sent, whatever the
 *   channel says (on a cluster, a publication crosses the cluster bus, which has no ordering with
 *   the subscriber's ping);
 * - an answer read from Redis is only kept if no invalidation arrived while the read was in
 *   flight: the read may have run before a revocation whose message then overtook its reply.
 *
 * Only absences are kept ("no such revocation"): a revocation that exists expires on the server's
 * clock at a time a read does not tell, and revoked tokens are rare enough to ask Redis about.
 * The one exception is the data-loss marker, which has no TTL and changes only with a message.
 *
 * So a revocation acknowledged at time `t` is refused by every instance from `t + maxStalenessMs`
 * on at the latest, and usually within the pub/sub delivery time (a millisecond or two on a LAN).
 * The number of entries is capped: the oldest goes first.
 *
 * Internal to `authx-ts/redis`: not part of the package's exports.
 *
 * @packageDocumentation
 */
/**
 * What the near-cache needs of its subscriber connection: the part of an ioredis client it uses,
 * so that only `redis.ts` depends on ioredis.
 */
export interface SubscriberConnection {
  readonly status: string
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'error' | 'close', listener: () => void): unknown
  connect(): Promise<void>
  subscribe(channel: string): Promise<unknown>
  ping(): Promise<unknown>
  disconnect(): void
}

/** Options of the near-cache (`RedisStoreOptions.nearCache`). */
export interface NearCacheOptions {
  /**
   * Most answers kept (one per revocation key: a token's jti, its session, its family, its
   * subject). When full, the oldest entry makes room.
   *
   * @defaultValue 100000
   */
  readonly maxEntries?: number | undefined
  /**
   * The bound, in milliseconds: no cached answer is used later than this after Redis last proved
   * that the invalidations reach this process, nor older than this since it was read.
   *
   * @defaultValue 1000
   */
  readonly maxStalenessMs?: number | undefined
}

/** Counters of a near-cache, for monitoring and the benchmarks. */
export interface NearCacheStats {
  /** Answers held now. */
  readonly entries: number
  /** Checks answered from memory. */
  readonly hits: number
  /** Checks that went to Redis although the cache was usable (a key not cached yet). */
  readonly misses: number
  /** Checks that went to Redis because the cache was not usable (channel not proven live). */
  readonly bypassed: number
  /** Invalidation messages received. */
  readonly invalidations: number
  /** Times the whole cache was dropped because the channel was lost or went quiet. */
  readonly drops: number
  /** Whether answers may be served from memory right now. */
  readonly usable: boolean
}

const DEFAULT_MAX_ENTRIES = 100_000
const DEFAULT_MAX_STALENESS_MS = 1000
/** Longest pause between two attempts to reconnect the subscriber. */
const MAX_RECONNECT_DELAY_MS = 1000

/** A key known to be absent from Redis (no such revocation), or the value of a lasting key. */
interface Entry {
  readonly value: string | null
  /** Monotonic time (ms) after which the entry is not used. */
  readonly until: number
}

/**
 * Checks the near-cache options.
 *
 * @param options - the options as given
 * @returns the options with their defaults
 * @throws TypeError for a cap or a bound that is not a positive number
 */
export function resolveNearCacheOptions(
  options: NearCacheOptions,
): Required<{ [K in keyof NearCacheOptions]: number }> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  const maxStalenessMs = options.maxStalenessMs ?? DEFAULT_MAX_STALENESS_MS
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('RedisStore: nearCache.maxEntries must be a positive integer')
  if (!(maxStalenessMs >= 10) || !Number.isFinite(maxStalenessMs))
    throw new TypeError('RedisStore: nearCache.maxStalenessMs must be a number of at least 10')
  return { maxEntries, maxStalenessMs }
}

/**
 * Revocation answers in memory, invalidated through Redis pub/sub (see the module comment for the
 * guarantees). The owner reads with {@link RevocationNearCache.lookup}, and fills after a read
 * from Redis with {@link RevocationNearCache.fill} and the ticket {@link RevocationNearCache.ticket}
 * gave before it.
 */
export class RevocationNearCache {
  readonly #entries = new Map<string, Entry>()
  readonly #connect: () => SubscriberConnection
  readonly #channel: string
  readonly #maxEntries: number
  readonly #maxStalenessMs: number
  readonly #lasting: ReadonlySet<string>
  /** Bumped by every invalidation and every drop: a read that saw it change is not kept. */
  #generation = 0
  /** Bumped when the subscriber connection goes away, so that a late pong counts for nothing. */
  #epoch = 0
  /** Until when (monotonic ms) the channel is proven live; 0 while it is not. */
  #liveUntil = 0
  #subscriber: SubscriberConnection | undefined
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #reconnect: ReturnType<typeof setTimeout> | undefined
  #attempts = 0
  #closed = false
  #hits = 0
  #misses = 0
  #bypassed = 0
  #invalidations = 0
  #drops = 0

  /**
   * @param connect - makes a new, not yet connected client for the subscriber connection (one
   *   with no reconnection of its own: the cache reconnects, and drops itself in between)
   * @param channel - the store's invalidation channel
   * @param options - cap and bound, already checked by {@link resolveNearCacheOptions}
   * @param lasting - keys without a TTL whose every change is announced: their values are kept
   *   too, not only their absence
   */
  constructor(
    connect: () => SubscriberConnection,
    channel: string,
    options: { maxEntries: number; maxStalenessMs: number },
    lasting: readonly string[] = [],
  ) {
    this.#lasting = new Set(lasting)
    this.#connect = connect
    this.#channel = channel
    this.#maxEntries = options.maxEntries
    this.#maxStalenessMs = options.maxStalenessMs
    this.#heartbeat = setInterval(() => this.#ping(), Math.max(5, options.maxStalenessMs / 4))
    // The heartbeat must not keep a process alive that has nothing else to do.
    this.#heartbeat.unref()
    this.#open()
  }

  /** Whether answers may come from memory now: the channel was proven live recently enough. */
  get usable(): boolean {
    if (this.#liveUntil === 0) return false
    if (performance.now() < this.#liveUntil) return true
    // The channel went quiet (a frozen server, a cut link): forget everything until it is back.
    this.#drop()
    return false
  }

  /** Counters and the current state. */
  get stats(): NearCacheStats {
    return {
      entries: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      bypassed: this.#bypassed,
      invalidations: this.#invalidations,
      drops: this.#drops,
      usable: this.#liveUntil !== 0 && performance.now() < this.#liveUntil,
    }
  }

  /**
   * The cached values of `keys`, or undefined when the cache is not usable or one is missing or
   * too old (the caller then reads them all from Redis).
   *
   * @param keys - the store's keys for one check
   * @param count - whether a miss counts in the stats (not for a synchronous attempt that the
   *   awaited check repeats)
   */
  lookup(keys: readonly string[], count = true): (string | null)[] | undefined {
    if (!this.usable) {
      if (count) this.#bypassed += 1
      return undefined
    }
    const now = performance.now()
    const values: (string | null)[] = []
    for (const key of keys) {
      const entry = this.#entries.get(key)
      if (entry === undefined || entry.until <= now) {
        if (count) this.#misses += 1
        return undefined
      }
      values.push(entry.value)
    }
    this.#hits += 1
    return values
  }

  /** What {@link RevocationNearCache.fill} needs to know about the moment a read was sent. */
  ticket(): { readonly generation: number; readonly sentAt: number } {
    return { generation: this.#generation, sentAt: performance.now() }
  }

  /**
   * Keeps the values read from Redis, unless an invalidation (or a drop) happened since the read
   * was sent: the read may then predate a revocation whose message overtook its reply.
   *
   * @param keys - the keys read
   * @param values - their values, in the same order
   * @param ticket - what {@link RevocationNearCache.ticket} said before the read
   */
  fill(
    keys: readonly string[],
    values: readonly (string | null | undefined)[],
    ticket: { readonly generation: number; readonly sentAt: number },
  ): void {
    if (ticket.generation !== this.#generation || this.#liveUntil === 0) return
    const until = ticket.sentAt + this.#maxStalenessMs
    keys.forEach((key, i) => {
      this.#entries.delete(key)
      // Only absences are kept. A revocation that exists expires on the server's clock at a time
      // the read does not tell, and a cached copy must not outlive it; and revoked tokens are rare,
      // so asking Redis about them costs little.
      // The lasting keys (no TTL, changed only with a message) are kept whatever they hold.
      const value = values[i] ?? null
      if (value !== null && !this.#lasting.has(key)) return
      if (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next()
        if (oldest.done !== true) this.#entries.delete(oldest.value)
      }
      this.#entries.set(key, { value, until })
    })
  }

  /**
   * Forgets one key at once, for a revocation this process writes itself: its own message comes
   * back through Redis later, and the instance that revoked must refuse the token from the moment
   * the revocation is acknowledged. Reads in flight are not kept either.
   *
   * @param key - the revocation key written
   */
  invalidate(key: string): void {
    this.#generation += 1
    this.#entries.delete(key)
  }

  /** Stops the heartbeat and closes the subscriber connection. */
  close(): void {
    this.#closed = true
    clearInterval(this.#heartbeat)
    clearTimeout(this.#reconnect)
    this.#drop()
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
  }

  #drop(): void {
    this.#liveUntil = 0
    this.#generation += 1
    if (this.#entries.size > 0) this.#drops += 1
    this.#entries.clear()
  }

  #open(): void {
    if (this.#closed) return
    const epoch = ++this.#epoch
    let subscriber: SubscriberConnection
    try {
      subscriber = this.#connect()
    } catch {
      // No node to connect to yet (a cluster client before its first connection): try again.
      this.#lost(epoch)
      return
    }
    this.#subscriber = subscriber
    subscriber.on('message', (channel: string, key: string) => {
      if (channel !== this.#channel) return
      this.#invalidations += 1
      this.#generation += 1
      this.#entries.delete(key)
    })
    // The errors are the connection's story, told by 'close'; without a listener ioredis would
    // print them as unhandled.
    subscriber.on('error', () => {})
    subscriber.on('close', () => this.#lost(epoch))
    subscriber
      .connect()
      .then(() => subscriber.subscribe(this.#channel))
      .then(() => {
        this.#attempts = 0
        this.#ping()
      })
      .catch(() => this.#lost(epoch))
  }

  /** The subscriber connection is gone: drop the cache and open a new one, after a pause. */
  #lost(epoch: number): void {
    if (epoch !== this.#epoch || this.#closed) return
    this.#epoch += 1
    this.#drop()
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
    const delay = Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** this.#attempts++)
    this.#reconnect = setTimeout(() => this.#open(), delay)
    this.#reconnect.unref()
  }

  #ping(): void {
    const subscriber = this.#subscriber
    if (subscriber === undefined || subscriber.status !== 'ready') return
    const epoch = this.#epoch
    const sentAt = performance.now()
    subscriber.ping().then(
      () => {
        if (epoch !== this.#epoch || this.#closed) return
        this.#liveUntil = Math.max(this.#liveUntil, sentAt + this.#maxStalenessMs)
      },
      // A ping without an answer proves nothing; the bound runs out on its own.
      () => {},
    )
  }
}
