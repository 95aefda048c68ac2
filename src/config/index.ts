/**
 * The resolved config, `resolveConfig` and `configFromEnv`. Every AuthX option `JWT_FOO_BAR` is
 * the option `fooBar` here. The config is validated once, in the `AuthX` constructor, and frozen:
 * each instance owns its own.
 */
import { BadConfigurationError } from '../errors.ts'
import { parseDuration } from '../internal/duration.ts'
import type { Algorithm, BoundKey } from '../token/keys.ts'
import type { RotationOptions } from '../features/rotation.ts'
import type { HTTPMethod, TokenLocation } from '../types.ts'
import { buildKeys } from './keys.ts'
import type { AuthXOptions, SameSite } from './options.ts'
import { TOKEN_LOCATIONS } from './options.ts'
import {
  algorithmOption,
  audienceOption,
  booleanOption,
  COOKIE_DOMAIN,
  COOKIE_PATH,
  fail,
  grammarOption,
  HTTP_TOKEN,
  lifetime,
  methodList,
  stringList,
  stringOption,
} from './validators.ts'

export { TOKEN_LOCATIONS } from './options.ts'
export type { AuthXOptions, Duration, SameSite } from './options.ts'

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

/** The claim holding the subject: any name but one that reaches an object's prototype. */
function identityClaimOption(value: unknown): string {
  const name = stringOption('identityClaim', value, 'sub')
  if (name === '__proto__' || name === 'constructor' || name === 'prototype')
    fail('identityClaim', `${JSON.stringify(name)} names a prototype member; choose another claim`)
  return name
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
