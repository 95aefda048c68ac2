/**
 * A key set fetched from a `jwks_uri` (or found through OpenID discovery) and kept in memory.
 *
 * Verification never waits while a key is cached: `select` answers synchronously, and a set past
 * its `cacheMaxAge` is refreshed in the background. Only a miss awaits: the first load, a set
 * expired beyond `maxStale`, or a `kid` the set does not know (one refetch per `cooldown`, so a
 * flood of invented kids costs the provider at most one request per cooldown). Every load is
 * shared by the requests that wait for it. When the provider fails, cached keys keep verifying
 * for `maxStale`; with nothing usable cached, the failure is a 503 {@link KeySetUnavailableError}.
 *
 * @packageDocumentation
 */
import { KeySetUnavailableError } from '../errors.ts'
import { checkDocumentURL, fetchJSONDocument } from './fetch-document.ts'
import { InvalidJWKSetError, keysOfJWKSet } from './jwk.ts'
import type { KeySet } from './key-set.ts'
import type { Algorithm, BoundKey } from './keys.ts'

/** Where a remote set comes from and how long its keys are trusted. Times are in seconds. */
export interface RemoteKeySetOptions {
  /** The `jwks_uri`; null to find it through the issuer's OpenID discovery document. */
  readonly jwksUri: string | null
  /**
   * The issuer these keys speak for: tags every key (a token it verifies must carry this `iss`)
   * and is the base of discovery. Null for a single `jwksUri` checked by `decodeIssuer`.
   */
  readonly issuer: string | null
  /** The algorithms the set's keys may be bound to. */
  readonly algorithms: readonly Algorithm[]
  /** How long a loaded set is used before it is refreshed in the background. */
  readonly cacheMaxAge: number
  /** The least time between two fetches. */
  readonly cooldown: number
  /** The bound on one fetch. */
  readonly timeout: number
  /** How long past `cacheMaxAge` cached keys keep verifying while the provider fails; 0: not. */
  readonly maxStale: number
  /** The clock, in seconds. */
  readonly clock: () => number
}

const JWK_SET_TYPES = 'application/jwk-set+json, application/json'

/** Selects the keys of `keys` for a header: same algorithm, and the same kid when one is named. */
function matching(keys: readonly BoundKey[], alg: Algorithm, kid: string | undefined): BoundKey[] {
  return keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid))
}

/** A JWK Set fetched over HTTPS, refreshed on its own schedule. */
export class RemoteKeySet implements KeySet {
  readonly #options: RemoteKeySetOptions
  #jwksUri: URL | undefined
  #keys: readonly BoundKey[] = []
  #body = ''
  #version = 0
  /** When the set last loaded, and when a fetch last started (clock seconds). */
  #loadedAt = Number.NEGATIVE_INFINITY
  #attemptedAt = Number.NEGATIVE_INFINITY
  #pending: Promise<void> | undefined
  #failure: KeySetUnavailableError | undefined

  /** @param options - the source and its timings */
  constructor(options: RemoteKeySetOptions) {
    this.#options = options
    if (options.jwksUri !== null) this.#jwksUri = checkDocumentURL(options.jwksUri)
  }

  /**
   * Read on every verification: starts a background refresh once the set is older than
   * `cacheMaxAge`, and reads NaN (never equal to a cached selection's version) once the keys are
   * too old to use, so that the verifier asks `select`, which waits for a reload.
   */
  get version(): number {
    const age = this.#options.clock() - this.#loadedAt
    if (age < this.#options.cacheMaxAge) return this.#version
    this.#refreshQuietly()
    return age < this.#options.cacheMaxAge + this.#options.maxStale ? this.#version : Number.NaN
  }

  /** The keys of the last successful load. */
  get keys(): readonly BoundKey[] {
    return this.#keys
  }

  /**
   * @param alg - the header's algorithm
   * @param kid - the header's key id, if any
   */
  select(
    alg: Algorithm,
    kid: string | undefined,
  ): readonly BoundKey[] | Promise<readonly BoundKey[]> {
    const { clock, cacheMaxAge, maxStale, cooldown } = this.#options
    const now = clock()
    if (now - this.#loadedAt < cacheMaxAge + maxStale) {
      const found = matching(this.#keys, alg, kid)
      if (found.length > 0 || kid === undefined) return found
      // An unknown kid may be a key the provider has just started to sign with: look once per
      // cooldown, and let every request that misses meanwhile wait for the fetch under way (a
      // guard's synchronous attempt starts it, its awaited attempt must join it). Failing that
      // refetch, the token fails as any token no key verifies.
      if (this.#pending === undefined && now - this.#attemptedAt < cooldown) return found
      return this.load().then(
        () => matching(this.#keys, alg, kid),
        () => [],
      )
    }
    const failure = this.#failure
    if (
      failure !== undefined &&
      this.#pending === undefined &&
      now - this.#attemptedAt < cooldown
    ) {
      // Nothing usable and the last attempt failed moments ago: answer at once, without
      // hammering a provider that is down. A set that merely aged out (a cacheMaxAge + maxStale
      // shorter than the cooldown) is reloaded: its provider answered last time.
      return Promise.reject(failure)
    }
    return this.load().then(() => matching(this.#keys, alg, kid))
  }

  /**
   * Loads the set now (or joins the load under way).
   *
   * @throws KeySetUnavailableError when the provider cannot be reached or answers no JWK Set
   */
  load(): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  /** A background refresh, at most one per cooldown; its failure leaves the cached keys. */
  #refreshQuietly(): void {
    if (this.#pending !== undefined) return
    if (this.#options.clock() - this.#attemptedAt < this.#options.cooldown) return
    this.load().catch(() => undefined)
  }

  async #fetch(): Promise<void> {
    const { clock, timeout, issuer, algorithms } = this.#options
    this.#attemptedAt = clock()
    try {
      this.#jwksUri ??= await this.#discover()
      const document = await fetchJSONDocument(this.#jwksUri, timeout, JWK_SET_TYPES)
      const keys = keysOfJWKSet(document, algorithms, issuer ?? undefined)
      const body = JSON.stringify(document)
      if (body !== this.#body) {
        this.#keys = Object.freeze(keys)
        this.#body = body
        this.#version++
      }
      this.#loadedAt = clock()
      this.#failure = undefined
    } catch (error) {
      // A network failure, a bad answer, or a discovery document naming an unusable jwks_uri.
      this.#failure = new KeySetUnavailableError({
        reason: `JWK Set of ${issuer ?? this.#jwksUri?.origin ?? 'the key source'}: ${(error as Error).message}`,
        cause: error,
      })
      throw this.#failure
    }
  }

  /**
   * Reads `jwks_uri` from the issuer's OpenID discovery document, which must name the same
   * issuer (OpenID Connect Discovery 1.0 section 4.3): a document that claims another issuer is
   * not this issuer's.
   */
  async #discover(): Promise<URL> {
    const issuer = this.#options.issuer as string
    const base = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer
    const url = checkDocumentURL(`${base}/.well-known/openid-configuration`)
    const document = await fetchJSONDocument(url, this.#options.timeout)
    if (document.issuer !== issuer) {
      throw new InvalidJWKSetError(
        `the discovery document names issuer ${JSON.stringify(document.issuer)}, not ${JSON.stringify(issuer)}`,
      )
    }
    if (typeof document.jwks_uri !== 'string') {
      throw new InvalidJWKSetError('the discovery document has no jwks_uri')
    }
    return checkDocumentURL(document.jwks_uri)
  }
}
