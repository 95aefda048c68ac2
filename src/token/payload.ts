/**
 * The decoded, verified token: registered claims as typed fields, custom claims both on the
 * object and under `extra`, and AuthX's helpers.
 */
import { hasRequiredScopes } from '../scopes.ts'
import type { JSONObject } from './jws.ts'
import { scopesOfRFC9068 } from './profile.ts'
import type { TokenProfile } from './profile.ts'

/** Claims authx-ts itself writes or reads; never accepted in `data`, never part of `extra`. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'type',
  'fresh',
  'csrf',
  'scopes',
  'login_type',
  'sid',
  'fam',
  'fam_exp',
])

/** Custom claims: whatever the application put in `data`. */
export type CustomClaims = Record<string, unknown>

/**
 * A verified token's claims. Custom claims are typed through the parameter and readable both as
 * `payload.role` and `payload.extra.role`.
 *
 * @example Typed custom claims
 * ```ts
 * const payload = await auth.verifyToken<{ role: string }>(token)
 * payload.role        // string
 * payload.extra.role  // the same
 * ```
 */
export class TokenPayloadImpl<Extra extends CustomClaims = CustomClaims> {
  /** Subject: the user id given to `createAccessToken` (read from `identityClaim`). */
  readonly sub: string
  /** Unique token id (revocation key). */
  readonly jti: string | undefined
  /** `"access"` or `"refresh"`. */
  readonly type: string | undefined
  /** Whether the access token came straight from a credential login. */
  readonly fresh: boolean
  /** The double-submit CSRF value, `""` when none was generated. */
  readonly csrf: string | undefined
  /** Issued-at, seconds since the epoch. */
  readonly iat: number | undefined
  /** Expiry, seconds since the epoch; undefined for a token that never expires. */
  readonly exp: number | undefined
  /** Not-before, seconds since the epoch. */
  readonly nbf: number | undefined
  /** Issuer. */
  readonly iss: string | undefined
  /** Audience. */
  readonly aud: string | string[] | undefined
  /** Granted scopes; undefined when the token has no `scopes` claim. */
  readonly scopes: string[] | undefined
  /** The login type of the issuing instance (see `AuthManager`). */
  readonly login_type: string | undefined
  /** Session id, when the token is tied to a session. */
  readonly sid: string | undefined
  /** Refresh-token family id, when rotation is on. */
  readonly fam: string | undefined
  /** The custom claims. */
  readonly extra: Extra
  /** Every claim as decoded. */
  readonly claims: Readonly<JSONObject>
  readonly #clock: () => number

  /**
   * @param claims - the verified, validated claims
   * @param identityClaim - the claim that holds the subject
   * @param clock - current time in seconds, for `timeUntilExpiry`
   * @param profile - the token's shape: an RFC 9068 token is an access token, never fresh, whose
   *   scopes are its `scope` string
   */
  constructor(
    claims: JSONObject,
    identityClaim = 'sub',
    clock: () => number = nowSeconds,
    profile: TokenProfile = 'authx',
  ) {
    this.claims = claims
    this.#clock = clock
    this.sub = claims[identityClaim] as string
    this.jti = claims.jti as string | undefined
    const rfc9068 = profile === 'rfc9068'
    this.type = rfc9068 ? 'access' : (claims.type as string | undefined)
    this.fresh = !rfc9068 && claims.fresh === true
    this.csrf = claims.csrf as string | undefined
    this.iat = claims.iat as number | undefined
    this.exp = claims.exp as number | undefined
    this.nbf = claims.nbf as number | undefined
    this.iss = claims.iss as string | undefined
    this.aud = claims.aud as string | string[] | undefined
    this.scopes = rfc9068 ? scopesOfRFC9068(claims) : (claims.scopes as string[] | undefined)
    this.login_type = claims.login_type as string | undefined
    this.sid = claims.sid as string | undefined
    this.fam = claims.fam as string | undefined
    const extra = Object.create(null) as Extra
    for (const name of Object.keys(claims)) {
      if (RESERVED_CLAIMS.has(name) || name === identityClaim) continue
      ;(extra as CustomClaims)[name] = claims[name]
      // Expose custom claims on the payload too, unless the name is one of ours (a claim named
      // `hasScopes` or `__proto__` must not shadow a method or touch the prototype).
      if (!(name in this)) {
        Object.defineProperty(this, name, { value: claims[name], enumerable: true })
      }
    }
    this.extra = extra
  }

  /**
   * Whether the token grants the scopes, with AuthX's wildcard rules.
   *
   * @param required - scopes to check
   * @param options - `all: false` means any one of them suffices
   */
  hasScopes(required: readonly string[], options: { all?: boolean } = {}): boolean {
    return hasRequiredScopes(required, this.scopes, options.all ?? true)
  }

  /** Seconds until `exp` (negative once expired), or null for a token that never expires. */
  timeUntilExpiry(): number | null {
    return this.exp === undefined ? null : this.exp - this.#clock()
  }

  /** `exp` as a Date, or null. */
  get expiresAt(): Date | null {
    return this.exp === undefined ? null : new Date(this.exp * 1000)
  }

  /** `iat` as a Date, or null. */
  get issuedAt(): Date | null {
    return this.iat === undefined ? null : new Date(this.iat * 1000)
  }

  /** The claims, as decoded. */
  toJSON(): JSONObject {
    return { ...this.claims }
  }
}

/** A verified token's claims, with custom claims `Extra` typed on the object itself. */
export type TokenPayload<Extra extends CustomClaims = CustomClaims> = TokenPayloadImpl<Extra> &
  Readonly<Extra>

/** The {@link TokenPayload} class, for `instanceof` checks. */
export const TokenPayload = TokenPayloadImpl

/** Seconds since the epoch, as a float. */
export function nowSeconds(): number {
  return Date.now() / 1000
}
