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

  /**
   * @param alg - the header's algorithm
   * @param kid - the header's key id, if any
   */
  select(alg: Algorithm, kid: string | undefined): readonly BoundKey[] {
    const candidates = this.keys.filter((k) => k.alg === alg)
    return kid !== undefined && this.#hasKids ? candidates.filter((k) => k.kid === kid) : candidates
  }
}
