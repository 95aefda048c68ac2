/**
 * Options, defaults, validation and `configFromEnv`. Every AuthX option `JWT_FOO_BAR` is the
 * option `fooBar` here. The config is validated once, in the `AuthX` constructor, and frozen:
 * each instance owns its own.
 */
import { createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { BadConfigurationError } from '../errors.ts'
import type { Duration } from '../internal/duration.ts'
import { parseDuration } from '../internal/duration.ts'
import type { Algorithm, BoundKey, KeyInput } from '../token/keys.ts'
import { ALGORITHMS, bindKey, importSignKey, importVerifyKey, isAlgorithm } from '../token/keys.ts'
import type { Store } from '../stores/types.ts'
import type { RotationOptions } from '../features/rotation.ts'
import type { HTTPMethod, TokenLocation } from '../types.ts'

export type { Duration } from '../internal/duration.ts'

/** The four locations, in AuthX's spelling. */
export const TOKEN_LOCATIONS: readonly TokenLocation[] = ['headers', 'cookies', 'json', 'query']

const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']

/** The SameSite attribute of the cookies we set. */
export type SameSite = 'lax' | 'strict' | 'none'

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
  /** Access-token lifetime; `null` writes no `exp` (unsafe). @defaultValue `"15m"` */
  accessTokenExpires?: Duration | null | undefined
  /** Refresh-token lifetime; `null` writes no `exp` (unsafe). @defaultValue `"20d"` */
  refreshTokenExpires?: Duration | null | undefined
  /** Algorithms a token may use. @defaultValue the algorithms of the configured keys */
  decodeAlgorithms?: Algorithm[] | undefined
  /** Accepted audience(s). */
  decodeAudience?: string | string[] | null | undefined
  /** Accepted issuer. */
  decodeIssuer?: string | null | undefined
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
  /** Per-class message overrides, e.g. `{ TokenExpiredError: 'Session expired' }`. */
  messages?: Partial<Record<string, string>> | undefined
  /** State for revocation, rotation, sessions and rate limits. @defaultValue a `MemoryStore` */
  store?: Store | undefined
  /** Current time in seconds; inject it in tests instead of mocking timers. */
  clock?: (() => number) | undefined
}

/** The validated, frozen configuration of one instance. */
export interface AuthXConfig {
  readonly algorithm: Algorithm
  readonly signingKey: BoundKey | undefined
  readonly verifyKeys: readonly BoundKey[]
  readonly decodeAlgorithms: readonly Algorithm[]
  readonly accessTokenExpires: number | null
  readonly refreshTokenExpires: number | null
  readonly decodeAudience: readonly string[] | null
  readonly decodeIssuer: string | null
  readonly decodeLeeway: number
  readonly encodeAudience: string | readonly string[] | null
  readonly encodeIssuer: string | null
  readonly encodeNbf: boolean
  readonly errorMessageKey: string
  readonly identityClaim: string
  readonly tokenLocation: readonly TokenLocation[]
  readonly headerName: string
  readonly headerType: string
  readonly accessCookieName: string
  readonly accessCookiePath: string
  readonly refreshCookieName: string
  readonly refreshCookiePath: string
  readonly cookieDomain: string | null
  readonly cookieMaxAge: number | null
  readonly cookieSamesite: SameSite | null
  readonly cookieSecure: boolean
  readonly cookieHttpOnly: boolean
  readonly cookieCsrfProtect: boolean
  readonly sessionCookie: boolean
  readonly accessCsrfCookieName: string
  readonly accessCsrfCookiePath: string
  readonly accessCsrfHeaderName: string
  readonly accessCsrfFieldName: string
  readonly refreshCsrfCookieName: string
  readonly refreshCsrfCookiePath: string
  readonly refreshCsrfHeaderName: string
  readonly refreshCsrfFieldName: string
  readonly csrfMethods: readonly HTTPMethod[]
  readonly csrfCheckForm: boolean
  readonly csrfInCookies: boolean
  readonly queryStringName: string
  readonly jsonKey: string
  readonly refreshJsonKey: string
  readonly implicitRefreshRouteExclude: readonly string[]
  readonly implicitRefreshRouteInclude: readonly string[]
  readonly implicitRefreshMethodExclude: readonly HTTPMethod[]
  readonly implicitRefreshMethodInclude: readonly HTTPMethod[]
  readonly implicitRefreshDeltatime: number
  readonly sessionTracking: boolean
  readonly sessionUpdateLastActive: boolean
  readonly loginType: string | null
  /** Size of the verified-token cache, or null when it is off. */
  readonly verifiedTokenCache: { readonly maxEntries: number } | null
  /** Rotation settings, or null when rotation is off. */
  readonly refreshRotation: { readonly familyLifetime: number } | null
  readonly maxTokenLength: number
  readonly messages: Readonly<Partial<Record<string, string>>>
  readonly clock: () => number
}

function fail(option: string, message: string): never {
  throw new BadConfigurationError(`${option}: ${message}`)
}

function lifetime(
  option: string,
  value: Duration | null | undefined,
  fallback: number,
): number | null {
  if (value === null) return null
  if (value === undefined) return fallback
  const seconds = parseDuration(value)
  if (seconds === undefined || seconds <= 0) {
    fail(
      option,
      `expected a positive number of seconds, a string like "15m", or null; got ${String(value)}`,
    )
  }
  return seconds
}

function stringOption(
  option: string,
  value: unknown,
  fallback: string,
  allowEmpty = false,
): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    fail(option, `expected a non-empty string, got ${JSON.stringify(value)}`)
  }
  return value
}

/** A grammar a string option must follow, and how the error message names it. */
interface Grammar {
  readonly pattern: RegExp
  readonly what: string
}

/** An RFC 9110 token: what a header name or a cookie name may be. */
const HTTP_TOKEN: Grammar = {
  pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
  what: "header or cookie name (letters, digits and !#$%&'*+.^_`|~-)",
}
/** A cookie path: starts with `/`, no control characters and no `;` (RFC 6265 section 4.1.1). */
const COOKIE_PATH: Grammar = {
  pattern: /^\/[\x20-\x3A\x3C-\x7E]*$/,
  what: 'cookie path (starts with "/", no ";" or control characters)',
}
/** A cookie domain: letters, digits, dots and hyphens (the `cookie` package's own rule). */
const COOKIE_DOMAIN: Grammar = {
  pattern: /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i,
  what: 'cookie domain (letters, digits, dots and hyphens)',
}

/**
 * A string option that ends up in a request or response header or a cookie attribute: checked at
 * startup against its grammar, so a typo fails here instead of as a 500 on the first request.
 */
function grammarOption(option: string, value: unknown, fallback: string, grammar: Grammar): string {
  const text = stringOption(option, value, fallback)
  if (!grammar.pattern.test(text))
    fail(option, `${JSON.stringify(text)} is not a valid ${grammar.what}`)
  return text
}

/** The claim holding the subject: any name but one that reaches an object's prototype. */
function identityClaimOption(value: unknown): string {
  const name = stringOption('identityClaim', value, 'sub')
  if (name === '__proto__' || name === 'constructor' || name === 'prototype')
    fail('identityClaim', `${JSON.stringify(name)} names a prototype member; choose another claim`)
  return name
}

function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean')
    fail(option, `expected true or false, got ${JSON.stringify(value)}`)
  return value
}

function methodList(option: string, value: unknown, fallback: readonly HTTPMethod[]): HTTPMethod[] {
  if (value === undefined) return [...fallback]
  if (!Array.isArray(value)) fail(option, 'expected an array of HTTP methods')
  return value.map((m: unknown) => {
    const upper = typeof m === 'string' ? m.toUpperCase() : ''
    if (!(METHODS as readonly string[]).includes(upper)) {
      fail(option, `unknown method ${JSON.stringify(m)}; use one of ${METHODS.join(', ')}`)
    }
    return upper as HTTPMethod
  })
}

function stringList(option: string, value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    fail(option, 'expected an array of strings')
  }
  return [...value]
}

function audienceOption(option: string, value: unknown): string | string[] | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...value]
  return fail(option, 'expected a string, an array of strings, or null')
}

function algorithmOption(option: string, value: unknown, fallback: Algorithm): Algorithm {
  if (value === undefined) return fallback
  if (!isAlgorithm(value)) {
    fail(
      option,
      `algorithm ${JSON.stringify(value)} is not supported; use one of ${ALGORITHMS.join(', ')}`,
    )
  }
  return value
}

function cacheOption(
  value: boolean | { maxEntries?: number } | undefined,
): { maxEntries: number } | null {
  if (value === undefined || value === false) return null
  const maxEntries = value === true ? 10_000 : (value.maxEntries ?? 10_000)
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    fail('verifiedTokenCache.maxEntries', 'expected a positive integer')
  }
  return Object.freeze({ maxEntries })
}

function rotationOption(
  value: boolean | RotationOptions | undefined,
): { familyLifetime: number } | null {
  if (value === undefined || value === false) return null
  if (value !== true && (typeof value !== 'object' || value === null)) {
    fail('refreshRotation', 'expected true, false or { familyLifetime }')
  }
  const familyLifetime = lifetime(
    'refreshRotation.familyLifetime',
    value === true ? undefined : value.familyLifetime,
    30 * 86_400,
  )
  if (familyLifetime === null)
    fail('refreshRotation.familyLifetime', 'a family needs a finite lifetime')
  return Object.freeze({ familyLifetime })
}

/** Builds the signing key and the verification keys (current first, previous second). */
function buildKeys(
  options: AuthXOptions,
  algorithm: Algorithm,
): { signingKey: BoundKey | undefined; verifyKeys: BoundKey[] } {
  const symmetric = algorithm.startsWith('HS')
  const keyId = options.keyId
  let signingKey: BoundKey | undefined
  let verifyKey: BoundKey
  if (symmetric) {
    if (options.secretKey === undefined || options.secretKey === null || options.secretKey === '') {
      fail(
        'secretKey',
        `${algorithm} requires a secret; set secretKey (JWT_SECRET_KEY) to at least 32 random bytes`,
      )
    }
    const secret = importSignKey(options.secretKey, algorithm, 'secretKey')
    signingKey = bindKey(secret, algorithm, keyId)
    verifyKey = signingKey
  } else {
    if (options.privateKey === undefined && options.publicKey === undefined) {
      fail(
        'publicKey',
        `${algorithm} requires a key; set privateKey to sign and/or publicKey to verify`,
      )
    }
    const privateKey =
      options.privateKey === undefined
        ? undefined
        : importSignKey(options.privateKey, algorithm, 'privateKey')
    signingKey = privateKey === undefined ? undefined : bindKey(privateKey, algorithm, keyId)
    const publicKey =
      options.publicKey === undefined
        ? undefined
        : importVerifyKey(options.publicKey, algorithm, 'publicKey')
    // With only a private key, its public half verifies: one key pair, one binding.
    verifyKey = bindKey(publicKey ?? createPublicKey(privateKey as KeyObject), algorithm, keyId)
  }
  const verifyKeys = [verifyKey]
  const previousAlgorithm = algorithmOption(
    'previousAlgorithm',
    options.previousAlgorithm,
    algorithm,
  )
  const previous = previousAlgorithm.startsWith('HS')
    ? options.previousSecretKey
    : options.previousPublicKey
  if (previous !== undefined && previous !== null) {
    const option = previousAlgorithm.startsWith('HS') ? 'previousSecretKey' : 'previousPublicKey'
    verifyKeys.push(
      bindKey(
        importVerifyKey(previous, previousAlgorithm, option),
        previousAlgorithm,
        options.previousKeyId,
      ),
    )
  }
  return { signingKey, verifyKeys }
}

/**
 * Validates options, applies AuthX's defaults and imports the keys.
 *
 * @param options - the user's options
 * @returns the frozen configuration
 * @throws BadConfigurationError naming the option and the fix
 */
export function resolveConfig(options: AuthXOptions): AuthXConfig {
  if (typeof options !== 'object' || options === null) fail('options', 'expected an options object')
  const algorithm = algorithmOption('algorithm', options.algorithm, 'HS256')
  const { signingKey, verifyKeys } = buildKeys(options, algorithm)
  const keyAlgorithms = [...new Set(verifyKeys.map((k) => k.alg))]
  let decodeAlgorithms = keyAlgorithms
  if (options.decodeAlgorithms !== undefined) {
    if (!Array.isArray(options.decodeAlgorithms) || options.decodeAlgorithms.length === 0) {
      fail('decodeAlgorithms', 'expected a non-empty array of algorithms')
    }
    decodeAlgorithms = options.decodeAlgorithms.map((a) =>
      algorithmOption('decodeAlgorithms', a, algorithm),
    )
    for (const alg of decodeAlgorithms) {
      if (!keyAlgorithms.includes(alg)) {
        fail(
          'decodeAlgorithms',
          `${alg} has no key; every decode algorithm needs a configured key bound to it (keys are bound to ${keyAlgorithms.join(', ')})`,
        )
      }
    }
  }

  const tokenLocation = options.tokenLocation ?? ['headers']
  if (!Array.isArray(tokenLocation)) fail('tokenLocation', 'expected an array of locations')
  for (const loc of tokenLocation) {
    if (!TOKEN_LOCATIONS.includes(loc)) {
      fail(
        'tokenLocation',
        `unknown location ${JSON.stringify(loc)}; use headers, cookies, json or query`,
      )
    }
  }

  const decodeLeeway = options.decodeLeeway ?? 0
  if (typeof decodeLeeway !== 'number' || !Number.isFinite(decodeLeeway) || decodeLeeway < 0) {
    fail('decodeLeeway', 'expected a non-negative number of seconds')
  }
  const maxTokenLength = options.maxTokenLength ?? 8192
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 64) {
    fail('maxTokenLength', 'expected an integer of at least 64 characters')
  }
  const samesite = options.cookieSamesite === undefined ? 'lax' : options.cookieSamesite
  if (samesite !== null && !['lax', 'strict', 'none'].includes(samesite)) {
    fail('cookieSamesite', 'expected "lax", "strict", "none" or null')
  }
  const cookieMaxAge = options.cookieMaxAge ?? null
  if (cookieMaxAge !== null && (!Number.isInteger(cookieMaxAge) || cookieMaxAge < 0)) {
    fail('cookieMaxAge', 'expected a non-negative integer number of seconds, or null')
  }
  const deltatime = parseDuration(options.implicitRefreshDeltatime ?? 600)
  if (deltatime === undefined || deltatime < 0) {
    fail('implicitRefreshDeltatime', 'expected a number of seconds or a string like "10m"')
  }
  const decodeAudience = audienceOption('decodeAudience', options.decodeAudience)
  const clock = options.clock ?? (() => Date.now() / 1000)
  if (typeof clock !== 'function') fail('clock', 'expected a function returning seconds')

  const config: AuthXConfig = {
    algorithm,
    signingKey,
    verifyKeys: Object.freeze(verifyKeys),
    decodeAlgorithms: Object.freeze(decodeAlgorithms),
    accessTokenExpires: lifetime('accessTokenExpires', options.accessTokenExpires, 900),
    refreshTokenExpires: lifetime('refreshTokenExpires', options.refreshTokenExpires, 20 * 86_400),
    decodeAudience:
      decodeAudience === null
        ? null
        : Object.freeze(typeof decodeAudience === 'string' ? [decodeAudience] : decodeAudience),
    decodeIssuer: options.decodeIssuer ?? null,
    decodeLeeway,
    encodeAudience: audienceOption('encodeAudience', options.encodeAudience),
    encodeIssuer: options.encodeIssuer ?? null,
    encodeNbf: booleanOption('encodeNbf', options.encodeNbf, true),
    errorMessageKey: stringOption('errorMessageKey', options.errorMessageKey, 'detail'),
    identityClaim: identityClaimOption(options.identityClaim),
    tokenLocation: Object.freeze([...tokenLocation]),
    headerName: grammarOption('headerName', options.headerName, 'Authorization', HTTP_TOKEN),
    headerType: stringOption(
      'headerType',
      options.headerType ?? undefined,
      options.headerType === null ? '' : 'Bearer',
      true,
    ),
    accessCookieName: grammarOption(
      'accessCookieName',
      options.accessCookieName,
      'access_token_cookie',
      HTTP_TOKEN,
    ),
    accessCookiePath: grammarOption('accessCookiePath', options.accessCookiePath, '/', COOKIE_PATH),
    refreshCookieName: grammarOption(
      'refreshCookieName',
      options.refreshCookieName,
      'refresh_token_cookie',
      HTTP_TOKEN,
    ),
    refreshCookiePath: grammarOption(
      'refreshCookiePath',
      options.refreshCookiePath,
      '/',
      COOKIE_PATH,
    ),
    cookieDomain:
      options.cookieDomain === undefined || options.cookieDomain === null
        ? null
        : grammarOption('cookieDomain', options.cookieDomain, '', COOKIE_DOMAIN),
    cookieMaxAge,
    cookieSamesite: samesite,
    cookieSecure: booleanOption('cookieSecure', options.cookieSecure, true),
    cookieHttpOnly: booleanOption('cookieHttpOnly', options.cookieHttpOnly, true),
    cookieCsrfProtect: booleanOption('cookieCsrfProtect', options.cookieCsrfProtect, true),
    sessionCookie: booleanOption('sessionCookie', options.sessionCookie, true),
    accessCsrfCookieName: grammarOption(
      'accessCsrfCookieName',
      options.accessCsrfCookieName,
      'csrf_access_token',
      HTTP_TOKEN,
    ),
    accessCsrfCookiePath: grammarOption(
      'accessCsrfCookiePath',
      options.accessCsrfCookiePath,
      '/',
      COOKIE_PATH,
    ),
    accessCsrfHeaderName: grammarOption(
      'accessCsrfHeaderName',
      options.accessCsrfHeaderName,
      'X-CSRF-TOKEN',
      HTTP_TOKEN,
    ),
    accessCsrfFieldName: stringOption(
      'accessCsrfFieldName',
      options.accessCsrfFieldName,
      'csrf_token',
    ),
    refreshCsrfCookieName: grammarOption(
      'refreshCsrfCookieName',
      options.refreshCsrfCookieName,
      'csrf_refresh_token',
      HTTP_TOKEN,
    ),
    refreshCsrfCookiePath: grammarOption(
      'refreshCsrfCookiePath',
      options.refreshCsrfCookiePath,
      '/',
      COOKIE_PATH,
    ),
    refreshCsrfHeaderName: grammarOption(
      'refreshCsrfHeaderName',
      options.refreshCsrfHeaderName,
      'X-CSRF-TOKEN',
      HTTP_TOKEN,
    ),
    refreshCsrfFieldName: stringOption(
      'refreshCsrfFieldName',
      options.refreshCsrfFieldName,
      'csrf_token',
    ),
    csrfMethods: Object.freeze(
      methodList('csrfMethods', options.csrfMethods, ['POST', 'PUT', 'PATCH', 'DELETE']),
    ),
    csrfCheckForm: booleanOption('csrfCheckForm', options.csrfCheckForm, false),
    csrfInCookies: booleanOption('csrfInCookies', options.csrfInCookies, true),
    queryStringName: stringOption('queryStringName', options.queryStringName, 'token'),
    jsonKey: stringOption('jsonKey', options.jsonKey, 'access_token'),
    refreshJsonKey: stringOption('refreshJsonKey', options.refreshJsonKey, 'refresh_token'),
    implicitRefreshRouteExclude: Object.freeze(
      stringList('implicitRefreshRouteExclude', options.implicitRefreshRouteExclude),
    ),
    implicitRefreshRouteInclude: Object.freeze(
      stringList('implicitRefreshRouteInclude', options.implicitRefreshRouteInclude),
    ),
    implicitRefreshMethodExclude: Object.freeze(
      methodList('implicitRefreshMethodExclude', options.implicitRefreshMethodExclude, []),
    ),
    implicitRefreshMethodInclude: Object.freeze(
      methodList('implicitRefreshMethodInclude', options.implicitRefreshMethodInclude, []),
    ),
    implicitRefreshDeltatime: deltatime,
    sessionTracking: booleanOption('sessionTracking', options.sessionTracking, false),
    sessionUpdateLastActive: booleanOption(
      'sessionUpdateLastActive',
      options.sessionUpdateLastActive,
      true,
    ),
    refreshRotation: rotationOption(options.refreshRotation),
    verifiedTokenCache: cacheOption(options.verifiedTokenCache),
    loginType:
      options.loginType === undefined ? null : stringOption('loginType', options.loginType, ''),
    maxTokenLength,
    messages: Object.freeze({ ...(options.messages ?? {}) }),
    clock,
  }
  return Object.freeze(config)
}

/** Option names whose environment value is a list. */
const LIST_OPTIONS = new Set([
  'tokenLocation',
  'decodeAlgorithms',
  'csrfMethods',
  'implicitRefreshRouteExclude',
  'implicitRefreshRouteInclude',
  'implicitRefreshMethodExclude',
  'implicitRefreshMethodInclude',
])
const BOOLEAN_OPTIONS = new Set([
  'encodeNbf',
  'cookieSecure',
  'cookieHttpOnly',
  'cookieCsrfProtect',
  'sessionCookie',
  'csrfCheckForm',
  'csrfInCookies',
  'sessionTracking',
  'sessionUpdateLastActive',
  // On/off switches whose object form (`{ familyLifetime }`, `{ maxEntries }`) is code-only: read as
  // booleans, since the raw string "true" was refused by their validation.
  'refreshRotation',
  'verifiedTokenCache',
])
const NUMBER_OPTIONS = new Set(['decodeLeeway', 'cookieMaxAge', 'maxTokenLength'])
const NULLABLE_DURATIONS = new Set(['accessTokenExpires', 'refreshTokenExpires'])
/** Options that can be lists or a single string (audiences). */
const AUDIENCE_OPTIONS = new Set(['decodeAudience', 'encodeAudience'])

function camelCase(envName: string): string {
  return envName
    .slice('JWT_'.length)
    .toLowerCase()
    .replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function parseList(raw: string): string[] {
  const trimmed = raw.trim()
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed)
    if (Array.isArray(parsed)) return parsed.map(String)
  }
  return trimmed
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

function parseBoolean(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off'].includes(value)) return false
  return fail(name, `expected true or false, got ${JSON.stringify(raw)}`)
}

/**
 * Reads the `JWT_*` environment variables into options (`JWT_SECRET_KEY` is `secretKey`,
 * `JWT_TOKEN_LOCATION` is `tokenLocation`...). Lists may be JSON or comma-separated; booleans
 * `true/false/1/0`; `none`/`null` for a nullable lifetime.
 *
 * @param env - the environment to read
 * @defaultValue env - `process.env`
 * @throws BadConfigurationError for a value that cannot be parsed
 *
 * @example Merge with code options
 * ```ts
 * const auth = new AuthX({ ...configFromEnv(), tokenLocation: ['headers', 'cookies'] })
 * ```
 */
export function configFromEnv(env: Record<string, string | undefined> = process.env): AuthXOptions {
  const options: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('JWT_') || raw === undefined) continue
    const key = camelCase(name)
    try {
      if (LIST_OPTIONS.has(key)) options[key] = parseList(raw)
      else if (BOOLEAN_OPTIONS.has(key)) options[key] = parseBoolean(name, raw)
      else if (NUMBER_OPTIONS.has(key))
        options[key] = ['', 'none', 'null'].includes(raw.trim().toLowerCase()) ? null : Number(raw)
      else if (NULLABLE_DURATIONS.has(key))
        options[key] = ['none', 'null'].includes(raw.trim().toLowerCase())
          ? null
          : /^\d+(\.\d+)?$/.test(raw.trim())
            ? Number(raw)
            : raw
      else if (AUDIENCE_OPTIONS.has(key))
        options[key] = raw.includes(',') || raw.trim().startsWith('[') ? parseList(raw) : raw
      else options[key] = raw
    } catch (error) {
      if (error instanceof BadConfigurationError) throw error
      fail(name, `cannot parse ${JSON.stringify(raw)}`)
    }
  }
  return options
}
