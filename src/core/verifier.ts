/**
 * Synchronous token verification: signature (through the instance's key set), claims, login
 * type, token type, freshness and the CSRF double submit. Revocation needs the store and lives in
 * `revocation.ts`; this is the part every guard runs without a promise.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import {
  AccessTokenRequiredError,
  CSRFError,
  FreshTokenRequiredError,
  KeySetUnavailableError,
  LoginTypeMismatchError,
  RefreshTokenRequiredError,
  TokenInvalidIssuerError,
} from '../errors.ts'
import { csrfExpected, csrfMatches } from '../request/csrf.ts'
import type { RequestToken } from '../request/extract.ts'
import { VerifiedTokenCache } from '../token/cache.ts'
import { validateClaims } from '../token/claims.ts'
import type { ClaimRules } from '../token/claims.ts'
import { JWSVerifier } from '../token/jws.ts'
import type { JSONObject, VerifiedJWS } from '../token/jws.ts'
import type { KeySet } from '../token/key-set.ts'
import { TokenPayloadImpl } from '../token/payload.ts'
import { checkRFC9068 } from '../token/profile.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import { loginTypeOf } from './derived.ts'
import type { VerifyOptions } from './options.ts'

/** Verifies the instance's tokens; built once per instance from its frozen configuration. */
export class TokenVerifier {
  readonly #config: AuthXConfig
  readonly #keys: KeySet
  readonly #jws: JWSVerifier
  readonly #cache: VerifiedTokenCache | undefined
  /** The key set's version the cached verdicts were reached under. */
  #cacheVersion = 0
  /** Per-issuer audiences (`issuers`), or undefined when no issuer has its own. */
  readonly #issuerAudience: ReadonlyMap<string, readonly string[]> | undefined

  /**
   * @param config - the instance's configuration
   * @param keys - where verification keys come from
   */
  constructor(config: AuthXConfig, keys: KeySet) {
    this.#config = config
    this.#keys = keys
    this.#jws = new JWSVerifier(keys, config.decodeAlgorithms, config.maxTokenLength)
    const cache = config.verifiedTokenCache
    this.#cache = cache === null ? undefined : new VerifiedTokenCache(cache)
    const audiences = config.issuers.filter((i) => i.audience !== null)
    this.#issuerAudience =
      audiences.length === 0
        ? undefined
        : new Map(audiences.map((i) => [i.issuer, i.audience as readonly string[]]))
  }

  /** Counters of the verified-token cache, or null when it is off. */
  get cacheStats(): ReturnType<VerifiedTokenCache['stats']> | null {
    return this.#cache?.stats() ?? null
  }

  /**
   * Verifies signature, claims, login type, type, freshness and CSRF. Synchronous whenever the
   * key is at hand; a promise only while a remote key set fetches.
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   * @throws AuthXError subclasses for every failure
   */
  verify<Extra extends CustomClaims = CustomClaims>(
    token: string | RequestToken,
    options: VerifyOptions,
  ): TokenPayload<Extra> | Promise<TokenPayload<Extra>> {
    const raw = typeof token === 'string' ? token : token.token
    const claims = this.#cached(raw)
    if (claims !== undefined) {
      validateClaims(claims, this.#claimRules(options, claims))
      return this.#accept<Extra>(claims, token, options)
    }
    const verified = this.#jws.verify(raw)
    if (verified instanceof Promise) {
      return verified.then((jws) => this.#checkVerified<Extra>(jws, raw, token, options))
    }
    return this.#checkVerified<Extra>(verified, raw, token, options)
  }

  /**
   * Verifies a token that the instance knows can be checked synchronously (its own, with its own
   * keys at hand).
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   * @throws KeySetUnavailableError when the key must first be fetched (the fetch goes on)
   */
  verifySync<Extra extends CustomClaims = CustomClaims>(
    token: string | RequestToken,
    options: VerifyOptions,
  ): TokenPayload<Extra> {
    const payload = this.verify<Extra>(token, options)
    if (!(payload instanceof Promise)) return payload
    payload.catch(() => undefined)
    throw new KeySetUnavailableError({
      reason: 'the verification key is being fetched; the asynchronous verifyToken waits for it',
    })
  }

  /** A cached verdict, dropped whenever the key set changed since it was reached. */
  #cached(raw: string): JSONObject | undefined {
    const cache = this.#cache
    if (cache === undefined) return undefined
    const version = this.#keys.version
    if (version !== this.#cacheVersion) {
      // A key was removed or replaced: verdicts reached with it no longer stand.
      cache.clear()
      this.#cacheVersion = version
      return undefined
    }
    return cache.get(raw, this.#config.clock())
  }

  /** The checks after the signature: the profile, the issuer a key speaks for, the claims. */
  #checkVerified<Extra extends CustomClaims>(
    jws: VerifiedJWS,
    raw: string,
    token: string | RequestToken,
    options: VerifyOptions,
  ): TokenPayload<Extra> {
    const claims = jws.payload
    if (this.#config.tokenProfile === 'rfc9068') checkRFC9068(jws.header, claims)
    // A key of one trusted issuer proves nothing about another issuer's tokens.
    if (jws.key.issuer !== undefined && claims.iss !== jws.key.issuer) {
      throw new TokenInvalidIssuerError({ reason: 'iss is not the issuer whose key signed it' })
    }
    validateClaims(claims, this.#claimRules(options, claims))
    this.#cache?.set(raw, claims, claims.exp as number | undefined)
    return this.#accept<Extra>(claims, token, options)
  }

  /** Login type, token type, freshness and CSRF of validated claims. */
  #accept<Extra extends CustomClaims>(
    claims: JSONObject,
    token: string | RequestToken,
    options: VerifyOptions,
  ): TokenPayload<Extra> {
    const config = this.#config
    const payload = new TokenPayloadImpl<Extra>(
      claims,
      config.identityClaim,
      config.clock,
      config.tokenProfile,
    ) as TokenPayload<Extra>
    // Instances that share a key must not accept each other's tokens: a `user` token is not an
    // `admin` token because both verify.
    const loginType = config.loginType
    if (loginType !== null && payload.login_type !== loginType)
      throw new LoginTypeMismatchError(loginType, loginTypeOf(payload))
    const expected = options.type ?? (typeof token === 'string' ? 'access' : token.type)
    if ((options.verifyType ?? true) && payload.type !== expected) {
      throw expected === 'access' ? new AccessTokenRequiredError() : new RefreshTokenRequiredError()
    }
    if (options.verifyFresh === true && !payload.fresh) throw new FreshTokenRequiredError()
    const presented = options.csrf ?? (typeof token === 'string' ? undefined : token.csrf)
    const cookieToken = typeof token !== 'string' && token.location === 'cookies'
    // By default, the rule extraction applied on the token's request (`csrfApplies`), so a
    // guard and verifyToken/refresh judge the same request alike.
    const verifyCsrf =
      options.verifyCsrf ?? (csrfExpected(config, token) || options.csrf !== undefined)
    if (verifyCsrf && (cookieToken || options.csrf !== undefined)) {
      if (presented === undefined || !csrfMatches(presented, payload.csrf ?? ''))
        throw new CSRFError()
    }
    return payload
  }

  #claimRules(options: VerifyOptions, claims: JSONObject): ClaimRules {
    const config = this.#config
    const audience =
      options.audience === undefined
        ? (this.#issuerAudience?.get(claims.iss as string) ?? config.decodeAudience)
        : typeof options.audience === 'string'
          ? [options.audience]
          : options.audience
    return {
      now: config.clock(),
      leeway: config.decodeLeeway,
      audience,
      issuer:
        options.issuer === undefined
          ? config.decodeIssuer
          : typeof options.issuer === 'string'
            ? [options.issuer]
            : options.issuer,
      identityClaim: config.identityClaim,
      allowsNoExpiry: this.#allowsNoExpiry,
    }
  }

  /** Made once, not per verification: the config it reads is frozen. */
  readonly #allowsNoExpiry = (type: unknown): boolean =>
    (type === 'refresh' ? this.#config.refreshTokenExpires : this.#config.accessTokenExpires) ===
    null
}
