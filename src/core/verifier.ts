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
  LoginTypeMismatchError,
  RefreshTokenRequiredError,
} from '../errors.ts'
import { csrfExpected, csrfMatches } from '../request/csrf.ts'
import type { RequestToken } from '../request/extract.ts'
import { VerifiedTokenCache } from '../token/cache.ts'
import { validateClaims } from '../token/claims.ts'
import type { ClaimRules } from '../token/claims.ts'
import { JWSVerifier } from '../token/jws.ts'
import type { JSONObject } from '../token/jws.ts'
import type { KeySet } from '../token/key-set.ts'
import { TokenPayloadImpl } from '../token/payload.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import { loginTypeOf } from './derived.ts'
import type { VerifyOptions } from './options.ts'

/** Verifies the instance's tokens; built once per instance from its frozen configuration. */
export class TokenVerifier {
  readonly #config: AuthXConfig
  readonly #jws: JWSVerifier
  readonly #cache: VerifiedTokenCache | undefined

  /**
   * @param config - the instance's configuration
   * @param keys - where verification keys come from
   */
  constructor(config: AuthXConfig, keys: KeySet) {
    this.#config = config
    this.#jws = new JWSVerifier(keys, config.decodeAlgorithms, config.maxTokenLength)
    const cache = config.verifiedTokenCache
    this.#cache = cache === null ? undefined : new VerifiedTokenCache(cache)
  }

  /** Counters of the verified-token cache, or null when it is off. */
  get cacheStats(): ReturnType<VerifiedTokenCache['stats']> | null {
    return this.#cache?.stats() ?? null
  }

  /**
   * Verifies signature, claims, login type, type, freshness and CSRF.
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   * @throws AuthXError subclasses for every failure
   */
  verify<Extra extends CustomClaims = CustomClaims>(
    token: string | RequestToken,
    options: VerifyOptions,
  ): TokenPayload<Extra> {
    const config = this.#config
    const raw = typeof token === 'string' ? token : token.token
    const rules = this.#claimRules(options)
    // A cache hit skips only the signature check and the decode; claims are validated every time.
    let claims = this.#cache?.get(raw, rules.now) as JSONObject | undefined
    if (claims === undefined) {
      claims = this.#jws.verify(raw).payload
      validateClaims(claims, rules)
      this.#cache?.set(raw, claims, claims.exp as number | undefined)
    } else validateClaims(claims, rules)
    const payload = new TokenPayloadImpl<Extra>(
      claims,
      config.identityClaim,
      config.clock,
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

  #claimRules(options: VerifyOptions): ClaimRules {
    const config = this.#config
    const audience =
      options.audience === undefined
        ? config.decodeAudience
        : typeof options.audience === 'string'
          ? [options.audience]
          : options.audience
    return {
      now: config.clock(),
      leeway: config.decodeLeeway,
      audience,
      issuer: options.issuer ?? config.decodeIssuer,
      identityClaim: config.identityClaim,
      allowsNoExpiry: this.#allowsNoExpiry,
    }
  }

  /** Made once, not per verification: the config it reads is frozen. */
  readonly #allowsNoExpiry = (type: unknown): boolean =>
    (type === 'refresh' ? this.#config.refreshTokenExpires : this.#config.accessTokenExpires) ===
    null
}
