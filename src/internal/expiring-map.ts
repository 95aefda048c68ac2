/**
 * Keys that expire on their own, bounded in number, with no timer: the data structure under
 * `MemoryStore`. Each map has a capacity; when it is full, an expired entry makes room, and
 * otherwise the capacity decides: an evictable map drops its soonest-expiring entry, any other
 * refuses the new key with a 503 `StoreUnavailableError` (fail closed: security state is never
 * forgotten before it expires).
 *
 * Internal: not part of the package's exports.
 *
 * @packageDocumentation
 */
import { StoreUnavailableError } from '../errors.ts'

/** What a full map does, and whom it tells. */
export interface ExpiringCapacity {
  /** Most keys held at once (expired ones not yet swept included). */
  readonly maxEntries: number
  /**
   * Whether a live entry may make room for a new key (the soonest-expiring one goes). When false,
   * a full map of live entries refuses the new key.
   */
  readonly evictable: boolean
  /** Why the map cannot take one more key: the `reason` of the `StoreUnavailableError`. */
  readonly reason: string
  /**
   * Told when a live entry was evicted or a new key refused, before the refusal is thrown.
   *
   * @param action - `evicted` or `refused`
   * @param now - the time of the insert
   */
  report(action: 'refused' | 'evicted', now: number): void
}

/** Expired heap roots dropped per write: enough to keep up with inserts, small enough to be O(1). */
const SWEEP_BUDGET = 16

/**
 * Keys with an expiry, bounded in number. A binary min-heap over expiry (parallel arrays, to keep
 * a million entries cheap) finds both the expired entries to sweep and the soonest-expiring entry
 * in O(log n), with no timer. Heap nodes are not removed when a key is deleted or re-set: a node
 * is live only while the map still holds that key with that expiry, and the heap is rebuilt when
 * stale nodes outnumber live ones.
 */
export class ExpiringKeys {
  private readonly expiries = new Map<string, number>()
  private heapExp: number[] = []
  private heapKey: string[] = []
  private readonly capacity: ExpiringCapacity

  /** @param capacity - the cap, and what happens when it is reached */
  constructor(capacity: ExpiringCapacity) {
    this.capacity = capacity
  }

  /** Keys held, expired ones not yet swept included. */
  get size(): number {
    return this.expiries.size
  }

  /**
   * The expiry of a live key, or undefined (an expired key is dropped on the way).
   *
   * @param key - the key
   * @param now - the current time; a key expiring at `now` is expired
   */
  expiryOf(key: string, now: number): number | undefined {
    const expiresAt = this.expiries.get(key)
    if (expiresAt === undefined) return undefined
    if (expiresAt <= now) {
      this.remove(key)
      return undefined
    }
    return expiresAt
  }

  /**
   * Whether `key` is held and not expired at `now`.
   *
   * @param key - the key
   * @param now - the current time
   */
  has(key: string, now: number): boolean {
    return this.expiryOf(key, now) !== undefined
  }

  /**
   * Sets the expiry of `key`; an expiry already past stores nothing (and forgets `key`). A new key
   * that finds the map full takes the place of an expired entry, or of the soonest-expiring live
   * one when the capacity is evictable.
   *
   * @returns whether `key` is held now
   * @throws StoreUnavailableError when a new key finds the map full of live entries that may not
   *   be evicted; nothing has changed then but the sweep of expired entries
   */
  protected setExpiry(key: string, expiresAt: number, now: number): boolean {
    this.sweep(now)
    if (expiresAt <= now) {
      if (this.expiries.has(key)) this.remove(key)
      return false
    }
    if (!this.expiries.has(key) && this.expiries.size >= this.capacity.maxEntries)
      this.makeRoom(now)
    this.expiries.set(key, expiresAt)
    this.push(expiresAt, key)
    if (this.heapExp.length > 2 * this.expiries.size + 1024) this.rebuild()
    return true
  }

  /**
   * Forgets `key`.
   *
   * @returns true if it was held (expired or not)
   */
  delete(key: string): boolean {
    if (!this.expiries.has(key)) return false
    this.remove(key)
    return true
  }

  /** Drops the key and whatever a subclass keeps with it. */
  protected remove(key: string): void {
    this.expiries.delete(key)
  }

  /** Drops up to {@link SWEEP_BUDGET} expired entries, soonest first. */
  private sweep(now: number): void {
    for (let budget = SWEEP_BUDGET; budget > 0 && this.heapExp.length > 0; budget--) {
      const expiresAt = this.heapExp[0]!
      if (expiresAt > now) return
      const key = this.heapKey[0]!
      this.popRoot()
      if (this.expiries.get(key) === expiresAt) this.remove(key)
    }
  }

  /**
   * Makes room for one key. The soonest-expiring entry is an expired one whenever there is any,
   * and then it goes. Otherwise every entry is live: an evictable one may still go (a rate-limit
   * window just counts from zero again), but forgetting security state (a revocation, a spent
   * refresh token, a session) before its expiry would let a revoked token back in, so the insert
   * is refused (fail closed).
   */
  private makeRoom(now: number): void {
    // Drop heap nodes left behind by deleted or re-set keys, so that the root is a live entry.
    while (this.heapExp.length > 0 && this.expiries.get(this.heapKey[0]!) !== this.heapExp[0]!)
      this.popRoot()
    if (this.heapExp.length === 0) return
    const expiresAt = this.heapExp[0]!
    if (expiresAt <= now || this.capacity.evictable) {
      const key = this.heapKey[0]!
      this.popRoot()
      this.remove(key)
      if (expiresAt > now) this.capacity.report('evicted', now)
      return
    }
    this.capacity.report('refused', now)
    throw new StoreUnavailableError({ reason: this.capacity.reason })
  }

  private push(expiresAt: number, key: string): void {
    this.heapExp.push(expiresAt)
    this.heapKey.push(key)
    this.siftUp(this.heapExp.length - 1)
  }

  private popRoot(): void {
    const lastExp = this.heapExp.pop()!
    const lastKey = this.heapKey.pop()!
    if (this.heapExp.length === 0) return
    this.heapExp[0] = lastExp
    this.heapKey[0] = lastKey
    this.siftDown(0)
  }

  private siftUp(start: number): void {
    const exps = this.heapExp
    const keys = this.heapKey
    const expiresAt = exps[start]!
    const key = keys[start]!
    let i = start
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (exps[parent]! <= expiresAt) break
      exps[i] = exps[parent]!
      keys[i] = keys[parent]!
      i = parent
    }
    exps[i] = expiresAt
    keys[i] = key
  }

  private siftDown(start: number): void {
    const exps = this.heapExp
    const keys = this.heapKey
    const n = exps.length
    const expiresAt = exps[start]!
    const key = keys[start]!
    let i = start
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && exps[right]! < exps[left]! ? right : left
      if (exps[child]! >= expiresAt) break
      exps[i] = exps[child]!
      keys[i] = keys[child]!
      i = child
    }
    exps[i] = expiresAt
    keys[i] = key
  }

  /** Rebuilds the heap from the live entries only (Floyd's heapify, O(n)). */
  private rebuild(): void {
    this.heapExp = [...this.expiries.values()]
    this.heapKey = [...this.expiries.keys()]
    for (let i = (this.heapExp.length >> 1) - 1; i >= 0; i--) this.siftDown(i)
  }
}

/** A revocation-style set: a key is present until its expiry, extended but never shortened. */
export class ExpiringSet extends ExpiringKeys {
  /**
   * Adds `key` until `expiresAt`, keeping a later expiry it already has: a revocation is never
   * shortened by a later, shorter one (fail closed).
   *
   * @throws StoreUnavailableError as {@link ExpiringKeys} does when the map is full
   */
  extend(key: string, expiresAt: number, now: number): void {
    const current = this.expiryOf(key, now)
    if (current !== undefined && current >= expiresAt) return
    this.setExpiry(key, expiresAt, now)
  }
}

/** {@link ExpiringKeys} with a value per key. */
export class ExpiringMap<V> extends ExpiringKeys {
  private readonly values = new Map<string, V>()
  private readonly onRemove: ((key: string, value: V) => void) | undefined

  /**
   * @param capacity - the cap, and what happens when it is reached
   * @param onRemove - told of every entry that leaves (deleted, expired, swept or evicted), to
   *   keep side indexes in step; not told when a value is replaced
   */
  constructor(capacity: ExpiringCapacity, onRemove?: (key: string, value: V) => void) {
    super(capacity)
    this.onRemove = onRemove
  }

  /** The value of a live key, or undefined. */
  get(key: string, now: number): V | undefined {
    return this.has(key, now) ? this.values.get(key) : undefined
  }

  /** The value even when expired but not yet swept (to keep side indexes consistent). */
  peek(key: string): V | undefined {
    return this.values.get(key)
  }

  /**
   * Sets `key` to `value` until `expiresAt` (an expiry already past forgets `key`).
   *
   * @throws StoreUnavailableError as {@link ExpiringKeys} does when the map is full
   */
  set(key: string, value: V, expiresAt: number, now: number): void {
    if (this.setExpiry(key, expiresAt, now)) this.values.set(key, value)
  }

  /** Live entries, dropping the expired ones met on the way. */
  *entries(keys: Iterable<string>, now: number): Generator<V> {
    for (const key of keys) {
      const value = this.get(key, now)
      if (value !== undefined) yield value
    }
  }

  protected override remove(key: string): void {
    super.remove(key)
    const value = this.values.get(key)
    this.values.delete(key)
    if (value !== undefined) this.onRemove?.(key, value)
  }
}
