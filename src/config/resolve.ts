/**
 * `resolveConfig`: runs every row of the option table over the user's options, builds the keys and
 * freezes the result. The config is validated once, in the `AuthX` constructor, and each instance
 * owns its own.
 */
import type { ErrorMessages } from '../errors.ts'
import type { Algorithm, BoundKey } from '../token/keys.ts'
import type { HTTPMethod, TokenLocation } from '../types.ts'
import type { TokenProfile } from '../token/profile.ts'
import type { BuiltKeys } from './keys.ts'
import type { ResolvedKeyRing } from './key-ring.ts'
import type { TrustedIssuer } from './remote.ts'
import { buildKeys } from './keys.ts'
import type { AuthXOptions, SameSite } from './options.ts'
import type { OptionName, ResolveContext, ResolvedName } from './schema.ts'
import { OPTION_NAMES, OPTION_ROWS } from './schema.ts'
import { fail } from './validators.ts'

/** The validated, frozen configuration of one instance. */
export interface AuthXConfig {
  readonly algorithm: Algorithm
  readonly signingKey: BoundKey | undefined
  readonly verifyKeys: readonly BoundKey[]
  readonly decodeAlgorithms: readonly Algorithm[]
  readonly accessTokenExpires: number | null
  readonly refreshTokenExpires: number | null
  readonly decodeAudience: readonly string[] | null
  readonly decodeIssuer: readonly string[] | null
  /** The single remote JWK Set URL, or null. */
  readonly jwksUri: string | null
  /** Remote key set timings, in seconds. */
  readonly jwksCacheMaxAge: number
  readonly jwksCooldown: number
  readonly jwksTimeout: number
  readonly jwksMaxStale: number
  /** The trusted issuers with their own key sets; empty when none is configured. */
  readonly issuers: readonly TrustedIssuer[]
  readonly tokenProfile: TokenProfile
  /** The self-rotating key ring, or null. */
  readonly keyRing: ResolvedKeyRing | null
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
  readonly messages: Readonly<ErrorMessages>
  readonly clock: () => number
}

/**
 * Validates options, applies AuthX's defaults and imports the keys.
 *
 * @param options - the user's options
 * @returns the frozen configuration
 * @throws BadConfigurationError naming the option and the fix
 *
 * @example What the `AuthX` constructor does
 * ```ts
 * const config = resolveConfig({ secretKey, tokenLocation: ['headers', 'cookies'] })
 * config.tokenLocation // ['headers', 'cookies'], frozen
 * ```
 */
export function resolveConfig(options: AuthXOptions): AuthXConfig {
  if (typeof options !== 'object' || options === null) fail('options', 'expected an options object')
  const resolved = new Map<OptionName, unknown>()
  let keys: BuiltKeys | undefined
  const resolveRow = (name: OptionName): void => {
    const { resolve } = OPTION_ROWS[name]
    if (resolve !== undefined && !resolved.has(name)) {
      resolved.set(name, resolve(options[name], name, context))
    }
  }
  const context: ResolveContext = {
    // A row that needs another (decodeAlgorithms needs the algorithm and the keys) asks for it, so
    // the table's order is free to follow the docs.
    get<K extends ResolvedName>(name: K): AuthXConfig[K] {
      resolveRow(name)
      return resolved.get(name) as AuthXConfig[K]
    },
    options,
    keys(): BuiltKeys {
      keys ??= buildKeys(options, context.get('algorithm'))
      return keys
    },
  }
  for (const name of OPTION_NAMES) resolveRow(name)
  const { signingKey, verifyKeys } = context.keys()
  const config = {
    ...Object.fromEntries(resolved),
    signingKey,
    verifyKeys: Object.freeze(verifyKeys),
  } as AuthXConfig
  return Object.freeze(config)
}
