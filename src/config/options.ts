/**
 * The public options: flat and AuthX-named, so the Python setting `JWT_FOO_BAR` is the option
 * `fooBar` here. What each option accepts, its default and how it is checked and read from the
 * environment is in `schema.ts`; this interface is what users read in their editor.
 */
import type { ErrorMessages } from '../errors.ts'
import type { Duration } from '../internal/duration.ts'
import type { JWKSet } from '../token/jwk.ts'
import type { Algorithm, KeyInput } from '../token/keys.ts'
import type { TokenProfile } from '../token/profile.ts'
import type { Store } from '../stores/types.ts'
import type { HTTPMethod, TokenLocation } from '../types.ts'

export type { Duration } from '../internal/duration.ts'

/** The four locations, in AuthX's spelling. */
export const TOKEN_LOCATIONS: readonly TokenLocation[] = ['headers', 'cookies', 'json', 'query']

/** The SameSite attribute of the cookies we set. */
export type SameSite = 'lax' | 'strict' | 'none'

/** Options of refresh-token rotation. */
export interface RotationOptions {
  /** Absolute lifetime of a family: no refresh extends a login past it. @defaultValue `"30d"` */
  familyLifetime?: Duration | undefined
}

/** Options of the self-rotating key ring (`keyRing`). */
export interface KeyRingOptions {
  /** The algorithm of its keys (asymmetric: the ring is published). @defaultValue `"EdDSA"` */
  algorithm?: Algorithm | undefined
  /** How long a key signs before the next one takes over. @defaultValue `"30d"` */
  rotateEvery?: Duration | undefined
  /**
   * How long before it signs a new key is published: at least the longest time a verifier caches
   * the JWK Set (`jwksCacheMaxAge` there). @defaultValue `"1h"`
   */
  publishAhead?: Duration | undefined
  /**
   * The secret(s) that seal the private keys in the store, newest first: the newest seals, any
   * opens. At least 32 characters each. @defaultValue `JWT_KEY_ENCRYPTION_KEY` (comma-separated)
   */
  encryptionKey?: string | string[] | undefined
  /** The ring's name in the store, for several rings in one store. @defaultValue `"default"` */
  name?: string | undefined
}

/** One trusted identity provider of the `issuers` option. */
export interface IssuerOptions {
  /** Its JWK Set URL; omit it with `discovery: true`. */
  jwksUri?: string | undefined
  /**
   * Find `jwks_uri` in `${issuer}/.well-known/openid-configuration` (which must name the same
   * issuer). @defaultValue false
   */
  discovery?: boolean | undefined
  /** Audience(s) its tokens must carry, instead of `decodeAudience`. */
  audience?: string | string[] | undefined
  /** The algorithms its tokens may use. @defaultValue `decodeAlgorithms` */
  algorithms?: Algorithm[] | undefined
}

/**
 * Everything `new AuthX(options)` accepts. Every member is optional except a key for the
 * algorithm.
 */
export interface AuthXOptions {
  /** HMAC secret (HS*), at least as long as the hash output. */
  secretKey?: KeyInput | undefined
  /** @defaultValue `"HS256"` */
  algorithm?: Algorithm | undefined
  /** Private key that signs (RS/PS/ES/EdDSA). Its public half verifies unless `publicKey` is set. */
  privateKey?: KeyInput | undefined
  /** Public key that verifies (RS/PS/ES/EdDSA). Alone, the instance verifies but cannot sign. */
  publicKey?: KeyInput | undefined
  /** The `kid` written into tokens and matched against token headers. */
  keyId?: string | undefined
  /** Previous HMAC secret, still accepted for verification during a rotation. */
  previousSecretKey?: KeyInput | undefined
  /** Previous public key, still accepted for verification during a rotation. */
  previousPublicKey?: KeyInput | undefined
  /** Algorithm of the previous key. @defaultValue `algorithm` */
  previousAlgorithm?: Algorithm | undefined
  /** `kid` of the previous key. */
  previousKeyId?: string | undefined
  /**
   * Many keys at once, as a JWK Set: each JWK with its `kid`, bound to its `alg` (or `algorithm`).
   * Private JWKs can sign, public ones only verify. Replaces the single-key options.
   */
  keys?: JWKSet | undefined
  /** The `kid` of the key in `keys` that signs. @defaultValue the first key with private material */
  signingKeyId?: string | undefined
  /**
   * Verify with the JWK Set at this URL (https, or http on loopback), fetched and cached: an API
   * that accepts an identity provider's or an auth service's tokens. Verify-only.
   */
  jwksUri?: string | undefined
  /** How long a fetched JWK Set is used before it is refreshed; also the `max-age` of `jwks()`'s handlers. @defaultValue `"10m"` */
  jwksCacheMaxAge?: Duration | undefined
  /** The least time between two fetches of a JWK Set (unknown kids refetch at most this often). @defaultValue `"30s"` */
  jwksCooldown?: Duration | undefined
  /** The bound on one fetch. @defaultValue `"5s"` */
  jwksTimeout?: Duration | undefined
  /** How long cached keys keep verifying while the endpoint fails; `0` turns it off. @defaultValue `"24h"` */
  jwksMaxStale?: Duration | undefined
  /**
   * Keys that rotate themselves, kept in the store and shared by every instance on it: a new key
   * is published before it signs, an old one retired once no token it signed can be valid.
   * Replaces the other key options. `await auth.ready()` before creating tokens.
   */
  keyRing?: KeyRingOptions | undefined
  /** Trusted issuers, each with its own JWK Set: `{ 'https://idp.example': { jwksUri } }`. */
  issuers?: Record<string, IssuerOptions> | undefined
  /** The shape of accepted tokens: this library's, or RFC 9068 access tokens. @defaultValue `"authx"` */
  tokenProfile?: TokenProfile | undefined
  /** Access-token lifetime; `null` writes no `exp` (unsafe). @defaultValue `"15m"` */
  accessTokenExpires?: Duration | null | undefined
  /** Refresh-token lifetime; `null` writes no `exp` (unsafe). @defaultValue `"20d"` */
  refreshTokenExpires?: Duration | null | undefined
  /** Algorithms a token may use. @defaultValue the algorithms of the configured keys */
  decodeAlgorithms?: Algorithm[] | undefined
  /** Accepted audience(s). */
  decodeAudience?: string | string[] | null | undefined
  /** Accepted issuer(s). */
  decodeIssuer?: string | string[] | null | undefined
  /** Seconds of clock skew tolerated on `exp`, `nbf`, `iat`. @defaultValue 0 */
  decodeLeeway?: number | undefined
  /** Default `aud` of created tokens. */
  encodeAudience?: string | string[] | null | undefined
  /** `iss` of created tokens. */
  encodeIssuer?: string | null | undefined
  /** Write `nbf` (= `iat`) into created tokens. @defaultValue true */
  encodeNbf?: boolean | undefined
  /** Body key of error messages. @defaultValue `"detail"` */
  errorMessageKey?: string | undefined
  /** Claim that holds the subject. @defaultValue `"sub"` */
  identityClaim?: string | undefined
  /** Where tokens are looked for, in order. @defaultValue `["headers"]` */
  tokenLocation?: TokenLocation[] | undefined
  /** @defaultValue `"Authorization"` */
  headerName?: string | undefined
  /** Scheme before the token; empty means the whole header is the token. @defaultValue `"Bearer"` */
  headerType?: string | null | undefined
  /** @defaultValue `"access_token_cookie"` */
  accessCookieName?: string | undefined
  /** @defaultValue `"/"` */
  accessCookiePath?: string | undefined
  /** @defaultValue `"refresh_token_cookie"` */
  refreshCookieName?: string | undefined
  /** @defaultValue `"/"` */
  refreshCookiePath?: string | undefined
  /** Domain attribute of every cookie set or deleted. */
  cookieDomain?: string | null | undefined
  /** Max-Age of cookies; null makes session cookies. */
  cookieMaxAge?: number | null | undefined
  /** @defaultValue `"lax"` */
  cookieSamesite?: SameSite | null | undefined
  /** @defaultValue true */
  cookieSecure?: boolean | undefined
  /** HttpOnly on token cookies (CSRF cookies never are). @defaultValue true */
  cookieHttpOnly?: boolean | undefined
  /** Double-submit CSRF protection for cookie tokens. @defaultValue true */
  cookieCsrfProtect?: boolean | undefined
  /** Kept for AuthX parity; cookies are session cookies unless `cookieMaxAge` is set. */
  sessionCookie?: boolean | undefined
  /** @defaultValue `"csrf_access_token"` */
  accessCsrfCookieName?: string | undefined
  /** @defaultValue `"/"` */
  accessCsrfCookiePath?: string | undefined
  /** @defaultValue `"X-CSRF-TOKEN"` */
  accessCsrfHeaderName?: string | undefined
  /** @defaultValue `"csrf_token"` */
  accessCsrfFieldName?: string | undefined
  /** @defaultValue `"csrf_refresh_token"` */
  refreshCsrfCookieName?: string | undefined
  /** @defaultValue `"/"` */
  refreshCsrfCookiePath?: string | undefined
  /** @defaultValue `"X-CSRF-TOKEN"` */
  refreshCsrfHeaderName?: string | undefined
  /** @defaultValue `"csrf_token"` */
  refreshCsrfFieldName?: string | undefined
  /**
   * Methods on which a cookie token needs the CSRF header, on top of the rule that always applies:
   * every method but GET, HEAD and OPTIONS needs it (`PURGE`, `PROPFIND` and any other method a
   * router accepts included), judged on the request-line method, upper-cased. The list can only
   * add: `['GET']` makes GET need the header too, while a method left out (`['POST']` without
   * `PUT`) is still checked, so a list written for the four usual methods opens nothing. Only
   * GET, HEAD and OPTIONS change anything here.
   * @defaultValue POST, PUT, PATCH, DELETE (which the rule covers anyway)
   */
  csrfMethods?: HTTPMethod[] | undefined
  /** Accept the CSRF value from a form field when the header is absent. @defaultValue false */
  csrfCheckForm?: boolean | undefined
  /** Cookie helpers also set/delete the CSRF cookies. @defaultValue true */
  csrfInCookies?: boolean | undefined
  /** @defaultValue `"token"` */
  queryStringName?: string | undefined
  /** @defaultValue `"access_token"` */
  jsonKey?: string | undefined
  /** @defaultValue `"refresh_token"` */
  refreshJsonKey?: string | undefined
  /** Exact paths where implicit refresh never runs. */
  implicitRefreshRouteExclude?: string[] | undefined
  /** Exact paths where implicit refresh always runs. */
  implicitRefreshRouteInclude?: string[] | undefined
  /** Methods where implicit refresh never runs. */
  implicitRefreshMethodExclude?: HTTPMethod[] | undefined
  /** When non-empty, implicit refresh runs only on these methods. */
  implicitRefreshMethodInclude?: HTTPMethod[] | undefined
  /** Refresh when the access token has less than this left. @defaultValue `"10m"` */
  implicitRefreshDeltatime?: Duration | undefined
  /** Kept for AuthX parity: sessions are tracked when a store and `sessions` are used. */
  sessionTracking?: boolean | undefined
  /** Kept for AuthX parity. */
  sessionUpdateLastActive?: boolean | undefined
  /**
   * Refresh-token rotation with reuse detection: `true` or `{ familyLifetime }`. Off by default.
   * With it, `auth.refresh()` consumes each refresh token once and a replay revokes its family.
   */
  refreshRotation?: boolean | RotationOptions | undefined
  /**
   * Cache verified tokens (bounded LRU keyed by the whole token) to skip the signature check on
   * repeat requests; claims, type, CSRF and revocation are still checked every time. Off by default.
   */
  verifiedTokenCache?: boolean | { maxEntries?: number } | undefined
  /** Stamped into every token as `login_type` (see `AuthManager`). */
  loginType?: string | undefined
  /** Longest token accepted, in characters. @defaultValue 8192 */
  maxTokenLength?: number | undefined
  /**
   * Per-class message overrides, e.g. `{ TokenExpiredError: 'Session expired' }`; a key that names
   * no error class does not compile.
   */
  messages?: ErrorMessages | undefined
  /** State for revocation, rotation, sessions and rate limits. @defaultValue a `MemoryStore` */
  store?: Store | undefined
  /** Current time in seconds; inject it in tests instead of mocking timers. */
  clock?: (() => number) | undefined
}
