/**
 * The key-source seam: a `KeySet` chooses the candidate keys for a token's header. Where keys come
 * from (configuration, a JWK Set, a remote `jwks_uri`, a rotating key ring) is the set's business;
 * the verifier only asks for candidates and tries them. Each key stays bound to its one algorithm:
 * the header's `alg` and `kid` select among bindings, never change how a key is used.
 *
 * @packageDocumentation
 */
import type { Algorithm, BoundKey } from './keys.ts'

/**
 * A source of verification keys.
 *
 * @example A static set of two HMAC keys (current, then previous)
 * ```ts
 * const keys = new StaticKeySet([bindKey(current, 'HS256'), bindKey(previous, 'HS256')])
 * keys.select('HS256', undefined) // both, current first
 * ```
 */
export interface KeySet {
  /**
   * Changes whenever the set's keys change, so a caller may keep a selection for as long as it
   * reads the same version (the verifier caches candidates per header this way).
   */
  readonly version: number
  /**
   * The keys a token with this `alg` and `kid` may be verified with, in trial order. A set whose
   * keys are all at hand answers synchronously; a remote set may return a promise on a miss.
   *
   * @param alg - the header's algorithm (already checked against the allowlist)
   * @param kid - the header's key id, if any
   */
  select(
    alg: Algorithm,
    kid: string | undefined,
  ): readonly BoundKey[] | Promise<readonly BoundKey[]>
  /**
   * Loads the keys now, for a set that fetches them (absent on sets whose keys are always at
   * hand). Rejects when a source cannot be loaded.
   */
  load?(): Promise<void>
  /**
   * The instance's own keys to publish in its JWK Set (absent on sets of others' keys, such as a
   * remote set). Read again whenever `version` changes.
   */
  published?(): readonly BoundKey[]
  /** The key that signs now, for a set that holds the signing keys (the key ring). */
  signingKey?(): BoundKey
}

/**
 * The keys fixed at construction (the single key and the `previous*` keys): always synchronous, so
 * `verifyTokenSync` and the guards' promise-free fast path apply. With kids configured, a token
 * naming a kid goes straight to that key, with no trial of the others.
 */
export class StaticKeySet implements KeySet {
  readonly version = 0
  /** The keys, in preference order (current first). */
  readonly keys: readonly BoundKey[]
  readonly #hasKids: boolean

  /** @param keys - the bound keys, current first */
  constructor(keys: readonly BoundKey[]) {
    this.keys = keys
    this.#hasKids = keys.some((k) => k.kid !== undefined)
  }

  /** The asymmetric keys: a secret is never published. */
  published(): readonly BoundKey[] {
    return this.keys.filter((k) => k.spec.family !== 'hmac')
  }

  /**
   * @param alg - the header's algorithm
   * @param kid - the header's key id, if any
   */
  select(alg: Algorithm, kid: string | undefined): readonly BoundKey[] {
    const candidates = this.keys.filter((k) => k.alg === alg)
    return kid !== undefined && this.#hasKids ? candidates.filter((k) => k.kid === kid) : candidates
  }
}

/**
 * Several key sets as one: the keys of every trusted issuer. Each set keeps its own schedule; a
 * token waits only for the sets that must fetch, and not at all when a set already holds the key
 * its `kid` names. A set that cannot load does not stop the others: its failure surfaces only when
 * no set has a candidate.
 */
export class KeySetUnion implements KeySet {
  /** The member sets. */
  readonly sets: readonly KeySet[]

  /** @param sets - the member sets */
  constructor(sets: readonly KeySet[]) {
    this.sets = sets
  }

  /** Loads every member that fetches; rejects with the first failure once all have settled. */
  async load(): Promise<void> {
    const results = await Promise.allSettled(
      this.sets.map((set) => set.load?.() ?? Promise.resolve()),
    )
    const failed = results.find((r) => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason as Error
  }

  /** The sum of the members' versions: it rises whenever one of them changes (NaN stays NaN). */
  get version(): number {
    let version = 0
    for (const set of this.sets) version += set.version
    return version
  }

  /**
   * @param alg - the header's algorithm
   * @param kid - the header's key id, if any
   */
  select(
    alg: Algorithm,
    kid: string | undefined,
  ): readonly BoundKey[] | Promise<readonly BoundKey[]> {
    const ready: BoundKey[] = []
    const waiting: Promise<readonly BoundKey[]>[] = []
    for (const set of this.sets) {
      const selected = set.select(alg, kid)
      if (Array.isArray(selected)) ready.push(...(selected as readonly BoundKey[]))
      else waiting.push(selected as Promise<readonly BoundKey[]>)
    }
    if (waiting.length === 0) return ready
    if (kid !== undefined && ready.length > 0) {
      // The named key is at hand; the other loads go on for the tokens that need them.
      for (const pending of waiting) pending.catch(() => undefined)
      return ready
    }
    return Promise.allSettled(waiting).then((results) => {
      const keys = [...ready]
      let failure: unknown
      for (const result of results) {
        if (result.status === 'fulfilled') keys.push(...result.value)
        else failure ??= result.reason
      }
      if (keys.length === 0 && failure !== undefined) throw failure as Error
      return keys
    })
  }
}
