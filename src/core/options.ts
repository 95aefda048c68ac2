/**
 * The option and result types of the core operations: token creation, verification, guards and
 * request lookups. The facade (`AuthX`) re-exports them; the core modules and the features use
 * them without importing the facade.
 *
 * @packageDocumentation
 */
import type { Duration } from '../internal/duration.ts'
import { optionKeys } from '../internal/option-keys.ts'
import type { TokenExtractor } from '../request/extract.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { TokenLocation, TokenType } from '../types.ts'

/** Options of `createAccessToken` and `createRefreshToken`. */
export interface CreateTokenOptions {
  /** Access tokens only: mark the token fresh (straight from a credential login). */
  fresh?: boolean | undefined
  /** Lifetime: seconds from now, `"15m"`-style, an absolute `Date`, or null for no `exp`. */
  expiresIn?: Duration | Date | null | undefined
  /** Custom claims; reserved names (`sub`, `exp`, `type`...) throw a `TypeError`. */
  data?: CustomClaims | undefined
  /** `aud` claim. @defaultValue `encodeAudience` */
  audience?: string | string[] | undefined
  /** `scopes` claim. Omitted when undefined; `[]` is kept. */
  scopes?: readonly string[] | undefined
  /** Extra JOSE header members (`kid`...); `alg` and `crit` cannot be set. */
  headers?: Record<string, unknown> | undefined
  /** Ties the token to a session (`sid` claim); revoking the session rejects it. */
  sessionId?: string | undefined
  /** Refresh-token family (`fam` claim) for rotation with reuse detection. */
  familyId?: string | undefined
}

/** Options of `createTokenPair`. */
export interface CreateTokenPairOptions {
  /** Mark the access token fresh (straight from a credential login). */
  fresh?: boolean | undefined
  /** Access-token lifetime. @defaultValue `accessTokenExpires` */
  accessExpiresIn?: Duration | Date | null | undefined
  /** Refresh-token lifetime. @defaultValue `refreshTokenExpires` */
  refreshExpiresIn?: Duration | Date | null | undefined
  /** Custom claims of both tokens. */
  data?: CustomClaims | undefined
  /** `aud` of both tokens. @defaultValue `encodeAudience` */
  audience?: string | string[] | undefined
  /** `scopes` of the access token. */
  accessScopes?: readonly string[] | undefined
  /** `scopes` of the refresh token (the most a refresh can grant later). */
  refreshScopes?: readonly string[] | undefined
  /** Extra JOSE header members of both tokens. */
  headers?: Record<string, unknown> | undefined
  /** Session both tokens belong to (`sid`). */
  sessionId?: string | undefined
  /** Refresh family both tokens join (`fam`); a new one under rotation when not given. */
  familyId?: string | undefined
}

/** The JSON a login or refresh route returns. */
export interface TokenPair {
  /** The new access token. */
  access_token: string
  /** The refresh token (a new one under rotation). */
  refresh_token: string
  /** Always `bearer`, as OAuth 2.0 token responses say. */
  token_type: 'bearer'
}

/** Options of `verifyToken`. */
export interface VerifyOptions {
  /** Expected type. @defaultValue the request token's type, else `"access"` */
  type?: TokenType | undefined
  /** Check the `type` claim. @defaultValue true */
  verifyType?: boolean | undefined
  /** Require `fresh: true`. @defaultValue false */
  verifyFresh?: boolean | undefined
  /** Compare the CSRF value with the `csrf` claim (cookie tokens, or when `csrf` is given). @defaultValue true */
  verifyCsrf?: boolean | undefined
  /** The CSRF value to compare (defaults to the one found with a cookie token). */
  csrf?: string | undefined
  /** Accepted audience(s), overriding `decodeAudience`. */
  audience?: string | string[] | undefined
  /** Accepted issuer(s), overriding `decodeIssuer`. */
  issuer?: string | string[] | undefined
}

/** What a guard checks. */
export interface GuardOptions {
  /** @defaultValue `"access"` */
  type?: TokenType | undefined
  /** @defaultValue true */
  verifyType?: boolean | undefined
  /** @defaultValue false */
  verifyFresh?: boolean | undefined
  /** @defaultValue true on `csrfMethods` when `cookieCsrfProtect`, else false */
  verifyCsrf?: boolean | undefined
  /** Locations for this route, in order. @defaultValue `tokenLocation` */
  locations?: readonly TokenLocation[] | undefined
  /** Required scopes. */
  scopes?: readonly string[] | undefined
  /** All scopes (AND) or any one (OR). @defaultValue true */
  allScopes?: boolean | undefined
  /**
   * Finds the token before the locations are searched, for this route.
   * @defaultValue the instance's (`setTokenExtractor`), if any
   */
  extractor?: TokenExtractor | undefined
}

/** What a token guard (`tokenRequired`, `withAuth`) checks, and whether the token is optional. */
export interface TokenGuardOptions extends GuardOptions {
  /**
   * Optional authentication, as AuthX's `optional=True`: a request with no token passes with no
   * payload; a token that is present but fails (expired, forged, revoked...) is still refused.
   * A cookie sent without its CSRF header on a CSRF method counts as no token.
   * @defaultValue false
   */
  optional?: boolean | undefined
}

/** What a guard's authentication function resolves to: the payload, or payload and subject. */
export type GuardResult = TokenPayload | { payload: TokenPayload; subject: unknown }

/** What a guard's body reader may need to read before authentication. */
export interface GuardBodyOptions {
  /** Locations the guard searches. @defaultValue `tokenLocation` */
  locations?: readonly TokenLocation[] | undefined
}

/** Options of `getTokenFromRequest`. */
export interface GetTokenOptions {
  /** @defaultValue `"access"` */
  type?: TokenType | undefined
  /** Return null instead of throwing when no token is found. @defaultValue true */
  optional?: boolean | undefined
  /** @defaultValue `tokenLocation` */
  locations?: readonly TokenLocation[] | undefined
  /** Consulted before the locations. @defaultValue the instance's (`setTokenExtractor`), if any */
  extractor?: TokenExtractor | undefined
}

/** Decides whether a verified token is revoked. May be async. */
export type TokenBlocklist<Extra extends CustomClaims = CustomClaims> = (
  token: string,
  payload: TokenPayload<Extra>,
) => boolean | Promise<boolean>

/** Loads the subject (user) of a verified token; null/undefined means "no such subject". */
export type SubjectGetter<Subject = unknown, Extra extends CustomClaims = CustomClaims> = (
  sub: string,
  payload: TokenPayload<Extra>,
) => Subject | null | undefined | Promise<Subject | null | undefined>

/** The keys of {@link GuardOptions}, for refusing the others (`authenticate`). */
export const GUARD_OPTION_KEYS = optionKeys<GuardOptions>()({
  type: true,
  verifyType: true,
  verifyFresh: true,
  verifyCsrf: true,
  locations: true,
  scopes: true,
  allScopes: true,
  extractor: true,
})

/** The keys of {@link TokenGuardOptions} (`tokenRequired`, `withAuth`). */
export const TOKEN_GUARD_OPTION_KEYS: readonly string[] = [...GUARD_OPTION_KEYS, 'optional']

/** The keys of {@link VerifyOptions}. */
export const VERIFY_OPTION_KEYS = optionKeys<VerifyOptions>()({
  type: true,
  verifyType: true,
  verifyFresh: true,
  verifyCsrf: true,
  csrf: true,
  audience: true,
  issuer: true,
})

/** The keys of {@link CreateTokenOptions}. */
export const CREATE_TOKEN_OPTION_KEYS = optionKeys<CreateTokenOptions>()({
  fresh: true,
  expiresIn: true,
  data: true,
  audience: true,
  scopes: true,
  headers: true,
  sessionId: true,
  familyId: true,
})

/** The keys of `createRefreshToken`'s options: those of {@link CreateTokenOptions} but `fresh`. */
export const REFRESH_TOKEN_OPTION_KEYS: readonly string[] = CREATE_TOKEN_OPTION_KEYS.filter(
  (key) => key !== 'fresh',
)

/** The keys of {@link CreateTokenPairOptions}. */
export const CREATE_TOKEN_PAIR_OPTION_KEYS = optionKeys<CreateTokenPairOptions>()({
  fresh: true,
  accessExpiresIn: true,
  refreshExpiresIn: true,
  data: true,
  audience: true,
  accessScopes: true,
  refreshScopes: true,
  headers: true,
  sessionId: true,
  familyId: true,
})

/** The keys of {@link GetTokenOptions}. */
export const GET_TOKEN_OPTION_KEYS = optionKeys<GetTokenOptions>()({
  type: true,
  optional: true,
  locations: true,
  extractor: true,
})

/** Options of the cookie builders (`accessCookies`, `refreshCookies`). */
export interface CookieOptions {
  /** Seconds; null for a session cookie. @defaultValue `cookieMaxAge` */
  maxAge?: number | null | undefined
}

/** The keys of {@link CookieOptions}. */
export const COOKIE_OPTION_KEYS = optionKeys<CookieOptions>()({ maxAge: true })
