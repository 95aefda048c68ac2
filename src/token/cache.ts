/**
 * An opt-in cache of verified tokens: a bounded LRU keyed by the whole compact token, holding the
 * claims that a full verification produced and the token's `exp`. A hit means that these exact
 * bytes were verified before, so the signature check and the decode can be skipped; nothing else
 * can be.
 *
 * @packageDocumentation
 */
import type { JSONObject } from './jws.ts'

/** Options of {@link VerifiedTokenCache}. */
export interface VerifiedTokenCacheOptions {
  /**
   * Most tokens kept. When the cache is full, a new token evicts the least recently used one.
   * Memory is about `maxEntries` times (token length + claims), so mind the `maxTokenLength`.
   *
   * @defaultValue 10_000
   */
  readonly maxEntries?: number | undefined
}

/** Counters of a {@link VerifiedTokenCache}, for metrics. */
export interface VerifiedTokenCacheStats {
  /** Lookups answered from the cache. */
  readonly hits: number
  /** Lookups that found nothing usable (absent or expired). */
  readonly misses: number
  /** Entries dropped on lookup because their `exp` had passed. */
  readonly expired: number
  /** Live entries dropped to make room (least recently used first). */
  readonly evictions: number
  /** Entries held now. */
  readonly size: number
  /** The bound. */
  readonly maxEntries: number
}

/** The default bound: enough for the active tokens of a busy instance, a few MB at most. */
const DEFAULT_MAX_ENTRIES = 10_000

interface Entry {
  readonly claims: Readonly<JSONObject>
  readonly exp: number
}

/**
 * Freezes a decoded JSON value all the way down. One cached claims object is handed to every
 * request that presents the same token: a handler that mutated it would change what the next
 * request sees, so mutation must fail instead.
 */
function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  Object.freeze(value)
  // Own keys only (a decoded `__proto__` member is an own data property, never the prototype).
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
}

/**
 * A bounded LRU of verified tokens. It only ever answers "these bytes were verified, here are
 * their claims, and their `exp` has not passed": every hit is checked against the `now` the
 * caller passes (the instance's injected clock), and an entry is never served at or after its
 * `exp`, with no leeway (a token in its leeway window is simply verified in full again). Tokens
 * without a finite `exp` are never cached, since nothing would bound how long they are served.
 *
 * What the cache does NOT do, and the caller must do on every hit:
 * - check revocation (`jti`, session, family, subject-wide): a token revoked after it was cached
 *   is still in the cache, so the revocation store is consulted on hits exactly as on misses;
 * - re-check the per-call rules that are not part of signature validity (token type, freshness,
 *   CSRF, scopes, and audience or issuer overrides) — the cache stores claims, not decisions;
 * - key the cache to one verifier: a cache shared by instances with different keys or claim
 *   rules would let one instance's verdict stand in for another's.
 *
 * Claims are frozen deeply when they are stored, because one object is shared by every request
 * presenting the same token.
 *
 * @example Around a verification
 * ```ts
 * const cache = new VerifiedTokenCache({ maxEntries: 10_000 })
 * const now = clock()
 * let claims = cache.get(token, now)
 * if (claims === undefined) {
 *   claims = verifySignatureAndDecode(token) // throws on a bad token: nothing is cached
 *   validateClaims(claims, rules)
 *   cache.set(token, claims, claims.exp)
 * } else validateClaims(claims, rules)  // cheap; per-call rules still apply
 * await checkRevocation(claims)         // on every hit too
 * ```
 */
export class VerifiedTokenCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  readonly #entries = new Map<string, Entry>()
  readonly #maxEntries: number
  #hits = 0
  #misses = 0
  #expired = 0
  #evictions = 0

  /**
   * @param options - the bound
   * @throws TypeError when `maxEntries` is not a positive integer
   */
  constructor(options: VerifiedTokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(
        `VerifiedTokenCache: maxEntries must be a positive integer, got ${String(maxEntries)}`,
      )
    }
    this.#maxEntries = maxEntries
  }

  /**
   * The verified claims of `token`, or undefined when the token is not cached or its `exp` is at
   * or before `now` (the entry is then dropped). A hit makes the token the most recently used.
   *
   * @param token - the whole compact token, exactly as presented
   * @param now - current time in seconds since the epoch (the injected clock)
   * @returns the frozen claims, or undefined
   */
  get(token: string, now: number): Readonly<JSONObject> | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) {
      this.#misses++
      return undefined
    }
    // `!(now < exp)` rather than `now >= exp`: a NaN clock must never turn into a hit.
    if (!(now < entry.exp)) {
      this.#entries.delete(token)
      this.#expired++
      this.#misses++
      return undefined
    }
    // Re-insert to move the key to the young end of the Map's insertion order.
    this.#entries.delete(token)
    this.#entries.set(token, entry)
    this.#hits++
    return entry.claims
  }

  /**
   * Stores the claims of a token that was just verified in full. Only call it after the
   * signature and the claims passed: the cache trusts whatever it is given.
   *
   * @param token - the whole compact token
   * @param claims - its verified claims (frozen deeply by this call)
   * @param exp - the token's `exp`, seconds since the epoch
   * @returns whether the token was cached (false without a finite `exp`)
   */
  set(token: string, claims: JSONObject, exp: number | undefined): boolean {
    if (typeof token !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp)) return false
    deepFreeze(claims)
    if (this.#entries.has(token)) this.#entries.delete(token)
    else if (this.#entries.size >= this.#maxEntries) {
      // The first key in insertion order is the least recently used.
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) {
        this.#entries.delete(oldest.value)
        this.#evictions++
      }
    }
    this.#entries.set(token, { claims, exp })
    return true
  }

  /**
   * Drops one token (after revoking it, for instance, to free the memory early).
   *
   * @param token - the whole compact token
   * @returns whether it was cached
   */
  delete(token: string): boolean {
    return this.#entries.delete(token)
  }

  /** Drops every entry; the counters are kept. */
  clear(): void {
    this.#entries.clear()
  }

  /** Entries held now (expired ones included until they are looked up or evicted). */
  get size(): number {
    return this.#entries.size
  }

  /** Lookups answered from the cache. */
  get hits(): number {
    return this.#hits
  }

  /** Lookups that found nothing usable. */
  get misses(): number {
    return this.#misses
  }

  /** Every counter and the size, for metrics. */
  stats(): VerifiedTokenCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      expired: this.#expired,
      evictions: this.#evictions,
      size: this.#entries.size,
      maxEntries: this.#maxEntries,
    }
  }
}
