/**
 * The option table: one row per option, and the only place an option is described. A row says
 * what kind of value the option takes (which also decides how `configFromEnv` reads it), its
 * default, how `resolveConfig` checks it and the text of its line in `docs/configuration.md`.
 *
 * Adding an option is: a member of `AuthXOptions` (with its TSDoc), a row here, a field of
 * `AuthXConfig` when the library reads it resolved, then `npm run docs:config`. The compiler
 * refuses a row without a member, a member without a row, and a resolver whose result does not
 * fit the config field.
 */
import type { ErrorMessages } from '../errors.ts'
import { parseDuration } from '../internal/duration.ts'
import { optionKeys, unknownKey, unknownKeyMessage } from '../internal/option-keys.ts'
import type { Duration } from '../internal/duration.ts'
import type { Algorithm } from '../token/keys.ts'
import type { TokenProfile } from '../token/profile.ts'
import type { HTTPMethod, TokenLocation } from '../types.ts'
import type { BuiltKeys } from './keys.ts'
import { keyRingOption } from './key-ring.ts'
import type { ResolvedKeyRing } from './key-ring.ts'
import { ASYMMETRIC_ALGORITHMS, issuersOption, remoteAlgorithms, urlOption } from './remote.ts'
import type { TrustedIssuer } from './remote.ts'
import type { AuthXOptions, SameSite } from './options.ts'
import { TOKEN_LOCATIONS } from './options.ts'
import type { AuthXConfig } from './resolve.ts'
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
  METHODS,
  methodList,
  stringList,
  stringOption,
} from './validators.ts'
import type { Grammar } from './validators.ts'

/** How `configFromEnv` turns an environment variable's text into an option value (see `env.ts`). */
export type EnvParser = 'list' | 'boolean' | 'number' | 'lifetime' | 'audience' | 'string'

/** What a kind of option means outside validation: how it is read and how the docs call it. */
export interface KindInfo {
  /** How its environment variable is read; `null` for code-only options (functions, objects). */
  readonly env: EnvParser | null
  /** The docs' Type cell, unless the row says more precisely. */
  readonly type?: string
  /** Said after the variable in the docs' Env cell, when the environment form is narrower. */
  readonly envNote?: string
}

const quoted = (values: readonly string[]): string => values.map((v) => `\`${v}\``).join(', ')

const KIND_TABLE = {
  key: { env: 'string' },
  algorithm: { env: 'string', type: 'algorithm' },
  'algorithm list': { env: 'list', type: 'algorithm list' },
  string: { env: 'string', type: 'string' },
  'string or null': { env: 'string', type: 'string or `null`' },
  'header or cookie name': { env: 'string', type: 'string' },
  'cookie path': { env: 'string', type: 'string' },
  'cookie domain': { env: 'string', type: 'string or `null`' },
  'same-site': { env: 'string' },
  boolean: { env: 'boolean', type: 'boolean' },
  // `true` or an object of settings in code; only the on/off form has an environment spelling.
  switch: { env: 'boolean', envNote: 'boolean' },
  number: { env: 'number' },
  lifetime: { env: 'lifetime', type: 'duration or `null`' },
  duration: { env: 'string', type: 'duration (≥ 0)' },
  audience: { env: 'audience', type: 'string, string list or `null`' },
  'location list': {
    env: 'list',
    type: `list of ${quoted(TOKEN_LOCATIONS.map((l) => `'${l}'`))}`,
  },
  'method list': { env: 'list', type: 'method list' },
  'string list': { env: 'list', type: 'string list' },
  code: { env: null },
} as const satisfies Record<string, KindInfo>

/** The name of a kind of option value. */
export type OptionKind = keyof typeof KIND_TABLE

/** Every kind of option value. */
export const KINDS: Readonly<Record<OptionKind, KindInfo>> = KIND_TABLE

/** The docs' sections of option tables, by id, with their `###` headings. */
export const DOC_SECTIONS = {
  keys: 'Keys and algorithms',
  remote: 'Remote key sets and identity providers',
  claims: 'Token lifetimes and claims',
  locations: 'Where tokens are found',
  cookies: 'Cookies',
  csrf: 'CSRF (double submit)',
  features: 'Implicit refresh, sessions, features',
  code: 'Code-only options',
} as const

/** The id of a docs section. */
export type DocSection = keyof typeof DOC_SECTIONS

/** An option's line in `docs/configuration.md`. */
export interface OptionDocs {
  readonly section: DocSection
  /** The Type cell, when the kind's wording is not precise enough. */
  readonly type?: string
  /** The Default cell, when the default value alone does not say it. */
  readonly default?: string
  /** What it does. */
  readonly does: string
  /** Where it differs from Python AuthX; absent when it is the same. */
  readonly vsAuthX?: string
}

/** The options `resolveConfig` turns into a field of `AuthXConfig` of the same name. */
export type ResolvedName = keyof AuthXOptions & keyof AuthXConfig

/** What a resolver may look at besides its own value. */
export interface ResolveContext {
  /** Another option, resolved (each row is resolved once, whichever asks first). */
  get<K extends ResolvedName>(name: K): AuthXConfig[K]
  /** The keys built from the key options (once). */
  keys(): BuiltKeys
  /** The user's options as given, for a row that must know whether another was set at all. */
  readonly options: AuthXOptions
}

/**
 * Checks one option and returns its resolved value.
 *
 * @throws BadConfigurationError naming the option and the fix
 */
export type Resolver<T> = (value: unknown, name: string, ctx: ResolveContext) => T

/** The parts of a row every option has. */
interface RowBase<K extends keyof AuthXOptions> {
  readonly kind: OptionKind
  /** The default, as a user would write it; `undefined` is "none". */
  readonly default: AuthXOptions[K]
  readonly docs: OptionDocs
}

/**
 * An option the library reads resolved has a resolver; the others (the keys, the store) say what
 * reads them instead.
 */
type ResolvePart<K extends keyof AuthXOptions> = K extends ResolvedName
  ? { readonly resolve: Resolver<AuthXConfig[K]> }
  : { readonly resolve?: undefined; readonly readBy: 'buildKeys' | 'AuthX' }

/** One option's row. */
export type OptionRow<K extends keyof AuthXOptions> = RowBase<K> & ResolvePart<K>

/** The whole table: exactly one row per member of `AuthXOptions`. */
export type OptionSchema = { readonly [K in keyof AuthXOptions]-?: OptionRow<K> }

/** A kind, a default and the check that applies it: the part of a row the helpers below make. */
interface Checked<D, T> {
  readonly kind: OptionKind
  readonly default: D
  readonly resolve: Resolver<T>
}

/** A row's kind, default and resolver, the resolver getting the default as `fallback`. */
function checked<D, T>(
  kind: OptionKind,
  fallback: D,
  check: (value: unknown, fallback: D, name: string, ctx: ResolveContext) => T,
): Checked<D, T> {
  return {
    kind,
    default: fallback,
    resolve: (value, name, ctx) => check(value, fallback, name, ctx),
  }
}

const text = (fallback: string): Checked<string, string> =>
  checked('string', fallback, (value, f, name) => stringOption(name, value, f))
const grammar = (kind: OptionKind, fallback: string, rule: Grammar): Checked<string, string> =>
  checked(kind, fallback, (value, f, name) => grammarOption(name, value, f, rule))
const headerOrCookieName = (fallback: string): Checked<string, string> =>
  grammar('header or cookie name', fallback, HTTP_TOKEN)
const cookiePath = (fallback: string): Checked<string, string> =>
  grammar('cookie path', fallback, COOKIE_PATH)
const flag = (fallback: boolean): Checked<boolean, boolean> =>
  checked('boolean', fallback, (value, f, name) => booleanOption(name, value, f))
const methods = (fallback: readonly HTTPMethod[]): Checked<HTTPMethod[], readonly HTTPMethod[]> =>
  checked('method list', [...fallback], (value, f, name) =>
    Object.freeze(methodList(name, value, f)),
  )
const paths = (): Checked<string[], readonly string[]> =>
  checked('string list', [], (value, _f, name) => Object.freeze(stringList(name, value)))
const tokenLifetime = (fallback: string): Checked<Duration, number | null> => {
  const seconds = parseDuration(fallback) ?? Number.NaN
  return checked('lifetime', fallback, (value, _f, name) =>
    lifetime(name, value as Duration | null | undefined, seconds),
  )
}
const issuer = (): Checked<null, string | null> =>
  // Not checked, as in AuthX: any value is compared with `iss` as is.
  checked('string or null', null, (value) => (value ?? null) as string | null)

function audience(frozen: true): Checked<null, readonly string[] | null>
function audience(frozen: false): Checked<null, string | readonly string[] | null>
function audience(frozen: boolean): Checked<null, string | readonly string[] | null> {
  return checked('audience', null, (value, _f, name) => {
    const list = audienceOption(name, value)
    // Decoding compares against a list, so one accepted audience becomes a list of one.
    if (!frozen || list === null) return list
    return Object.freeze(typeof list === 'string' ? [list] : list)
  })
}

/** A duration of at least `min` seconds, for the remote key set timings. */
const seconds = (fallback: string, min: number): Checked<Duration, number> =>
  checked('duration', fallback, (value, f, name) => {
    const result = parseDuration(value ?? f)
    if (result === undefined || result < min) {
      fail(
        name,
        `expected ${min > 0 ? 'a positive' : 'a non-negative'} number of seconds or a string like "${f}"`,
      )
    }
    return result
  })

/** Whether the instance verifies with remote key sets (`jwksUri` or `issuers`). */
const isRemote = (ctx: ResolveContext): boolean =>
  ctx.get('jwksUri') !== null || ctx.options.issuers !== undefined

/** The wall clock, in seconds: the clock of an instance that was not given one. */
const wallClock = (): number => Date.now() / 1000

/**
 * The option table. Rows are in the order of the docs' tables, section by section; that is also
 * the order in which `resolveConfig` checks them (a row that needs another asks for it first).
 */
export const OPTION_SCHEMA = {
  // Keys and algorithms.
  algorithm: {
    ...checked('algorithm', 'HS256', (value, f, name) => algorithmOption(name, value, f)),
    docs: {
      section: 'keys',
      type: "`'HS256'` … `'EdDSA'`",
      does: 'Algorithm that signs, bound to the key at construction.',
      vsAuthX: 'No `ES256K`; adds `EdDSA`.',
    },
  },
  secretKey: {
    kind: 'key',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      type: "string, bytes, `{kty:'oct'}` JWK, `KeyObject`, `CryptoKey`",
      does: 'HMAC secret for HS\\*: signs and verifies.',
      vsAuthX:
        'Required at construction (AuthX failed lazily); must be at least as long as the hash (32/48/64 bytes); a PEM is refused.',
    },
  },
  privateKey: {
    kind: 'key',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      type: 'PEM, JWK, `KeyObject`, `CryptoKey`',
      does: 'Signs with RS/PS/ES/EdDSA. Its public half verifies unless `publicKey` is set.',
      vsAuthX: 'AuthX took PEM strings only and needed both keys.',
    },
  },
  publicKey: {
    kind: 'key',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      type: 'PEM (SPKI, PKCS#1, certificate), JWK, `KeyObject`, `CryptoKey`',
      does: 'Verifies RS/PS/ES/EdDSA. Alone, the instance verifies but cannot create tokens.',
      vsAuthX: 'A private key here is refused.',
    },
  },
  keyId: {
    kind: 'string',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      does: '`kid` written into every token header and matched on verification.',
      vsAuthX: 'New.',
    },
  },
  previousSecretKey: {
    kind: 'key',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      type: 'as `secretKey`',
      does: 'Old HMAC secret, still accepted for verification during a rotation.',
      vsAuthX: 'Tried only when the signature fails, so an expired token says "Token has expired".',
    },
  },
  previousPublicKey: {
    kind: 'key',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      type: 'as `publicKey`',
      does: 'Old public key, still accepted for verification.',
      vsAuthX: 'As above.',
    },
  },
  previousAlgorithm: {
    kind: 'algorithm',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      default: '`algorithm`',
      does: 'Algorithm of the previous key (e.g. migrating HS256 to RS256).',
      vsAuthX: 'New.',
    },
  },
  previousKeyId: {
    kind: 'string',
    default: undefined,
    readBy: 'buildKeys',
    docs: { section: 'keys', does: '`kid` of the previous key.', vsAuthX: 'New.' },
  },
  keys: {
    kind: 'code',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      type: '`{ keys: JWK[] }`',
      does: 'Many keys as a JWK Set, each with its `kid` and bound to its `alg` (or `algorithm`). Private JWKs sign and verify, public ones verify. Instead of the single-key options.',
      vsAuthX: 'New.',
    },
  },
  signingKeyId: {
    kind: 'string',
    default: undefined,
    readBy: 'buildKeys',
    docs: {
      section: 'keys',
      default: 'the first key of `keys` with private material',
      does: 'The `kid` of the key in `keys` that signs.',
      vsAuthX: 'New.',
    },
  },
  decodeAlgorithms: {
    ...checked('algorithm list', undefined, (value, _f, name, ctx): readonly Algorithm[] => {
      if (isRemote(ctx)) return remoteAlgorithms(name, value, ASYMMETRIC_ALGORITHMS)
      const ring = ctx.get('keyRing')
      if (ring !== null) return remoteAlgorithms(name, value, [ring.algorithm])
      const algorithm = ctx.get('algorithm')
      const keyAlgorithms = [...new Set(ctx.keys().verifyKeys.map((k) => k.alg))]
      if (value === undefined) return Object.freeze(keyAlgorithms)
      if (!Array.isArray(value) || value.length === 0) {
        fail(name, 'expected a non-empty array of algorithms')
      }
      const decodeAlgorithms = value.map((a: unknown) => algorithmOption(name, a, algorithm))
      for (const alg of decodeAlgorithms) {
        if (!keyAlgorithms.includes(alg)) {
          fail(
            name,
            `${alg} has no key; every decode algorithm needs a configured key bound to it (keys are bound to ${keyAlgorithms.join(', ')})`,
          )
        }
      }
      return Object.freeze(decodeAlgorithms)
    }),
    docs: {
      section: 'keys',
      default:
        'the algorithms of the configured keys; every asymmetric one with `jwksUri` or `issuers`',
      does: 'Algorithms a token header may name. Each must have a key. With a remote key set, also how a JWK without `alg` is bound: only when exactly one listed algorithm fits its type and curve.',
      vsAuthX: 'Inert in AuthX (only `JWT_ALGORITHM` was accepted).',
    },
  },

  keyRing: {
    ...checked('code', undefined, (value, _f, _name, ctx): ResolvedKeyRing | null =>
      keyRingOption(value, {
        accessTokenExpires: ctx.get('accessTokenExpires'),
        refreshTokenExpires: ctx.get('refreshTokenExpires'),
        familyLifetime: ctx.get('refreshRotation')?.familyLifetime ?? null,
        decodeLeeway: ctx.get('decodeLeeway'),
      }),
    ),
    docs: {
      section: 'keys',
      type: '`{ algorithm?, rotateEvery?, publishAhead?, encryptionKey?, name? }`',
      does: 'Keys that rotate themselves in the store, shared by every instance on it: a new key is published `publishAhead` (1h) before it signs, every `rotateEvery` (30d); a replaced key verifies until the longest token lifetime has passed. Private keys are sealed with AES-256-GCM under `encryptionKey` (`JWT_KEY_ENCRYPTION_KEY`). Instead of the other key options; `await auth.ready()` before creating tokens.',
      vsAuthX: 'New.',
    },
  },

  // Remote key sets and identity providers.
  jwksUri: {
    ...checked('string', undefined, (value, _f, name): string | null =>
      value === undefined ? null : urlOption(name, value),
    ),
    docs: {
      section: 'remote',
      type: 'URL',
      does: 'Verify with the JWK Set at this URL (`https:`, or `http:` on loopback), fetched on first use and cached; never a URL from a token. Verify-only: no local keys.',
      vsAuthX: 'New.',
    },
  },
  jwksCacheMaxAge: {
    ...seconds('10m', 1),
    docs: {
      section: 'remote',
      does: 'How long a fetched JWK Set is used before a background refresh; also the `Cache-Control: max-age` of the JWKS handlers.',
      vsAuthX: 'New.',
    },
  },
  jwksCooldown: {
    ...seconds('30s', 0),
    docs: {
      section: 'remote',
      does: 'The least time between two fetches: a token with an unknown `kid` triggers at most one refetch per cooldown.',
      vsAuthX: 'New.',
    },
  },
  jwksTimeout: {
    ...seconds('5s', 0.001),
    docs: { section: 'remote', does: 'The bound on one fetch, body included.', vsAuthX: 'New.' },
  },
  jwksMaxStale: {
    ...seconds('24h', 0),
    docs: {
      section: 'remote',
      does: 'How long past `jwksCacheMaxAge` cached keys keep verifying while the endpoint fails; `0` turns it off. With nothing usable cached, a failure is 503 `KeySetUnavailableError`.',
      vsAuthX: 'New.',
    },
  },
  issuers: {
    ...checked('code', undefined, (value, _f, _name, ctx): readonly TrustedIssuer[] => {
      if (value !== undefined && ctx.get('jwksUri') !== null) {
        fail('issuers', 'give either jwksUri (one source) or issuers (several), not both')
      }
      return issuersOption(value, ctx.get('decodeAlgorithms'))
    }),
    docs: {
      section: 'remote',
      type: '`{ [iss]: { jwksUri \\| discovery, audience?, algorithms? } }`',
      does: "Trusted issuers, each with its own JWK Set (or OpenID discovery of it), audience and algorithms. A token's `iss` selects among these only, and must be the issuer whose key verified it.",
      vsAuthX: 'New.',
    },
  },
  tokenProfile: {
    ...checked('string', 'authx', (value, f, name, ctx): TokenProfile => {
      const profile = value ?? f
      if (profile !== 'authx' && profile !== 'rfc9068') fail(name, "expected 'authx' or 'rfc9068'")
      if (
        profile === 'rfc9068' &&
        ctx.get('decodeAudience') === null &&
        !(ctx.get('issuers').length > 0 && ctx.get('issuers').every((i) => i.audience !== null))
      ) {
        fail(
          name,
          "RFC 9068 access tokens are for an audience: set decodeAudience (or each issuer's audience) to your API's resource indicator",
        )
      }
      return profile
    }),
    docs: {
      section: 'remote',
      type: "`'authx'` or `'rfc9068'`",
      does: 'The shape of accepted tokens. `rfc9068`: OAuth access tokens as identity providers issue them (`typ` `at+jwt`, `client_id`, `scope` as a string); they pass access and scope guards, never refresh or fresh ones.',
      vsAuthX: 'New.',
    },
  },

  // Token lifetimes and claims.
  accessTokenExpires: {
    ...tokenLifetime('15m'),
    docs: {
      section: 'claims',
      does: 'Lifetime of access tokens. `null` writes no `exp`, and only then is an access token without `exp` accepted.',
      vsAuthX:
        '`exp` is an integer; a token without `exp` is refused unless the lifetime is `null`.',
    },
  },
  refreshTokenExpires: {
    ...tokenLifetime('20d'),
    docs: {
      section: 'claims',
      does: 'Lifetime of refresh tokens; `null` as above.',
      vsAuthX: 'Same.',
    },
  },
  decodeAudience: {
    ...audience(true),
    docs: {
      section: 'claims',
      does: 'Accepted audiences: a token must name one of them. With `null`, a token that names any audience is refused.',
    },
  },
  decodeIssuer: {
    ...checked('string list', null, (value, _f, name, ctx): readonly string[] | null => {
      const trusted = ctx.get('issuers')
      if (trusted.length > 0) {
        if (value !== undefined && value !== null)
          fail(name, 'issuers already names the accepted issuers')
        return Object.freeze(trusted.map((i) => i.issuer))
      }
      if (value === undefined || value === null) return null
      const list = typeof value === 'string' ? [value] : value
      if (!Array.isArray(list) || list.length === 0 || !list.every((i) => typeof i === 'string')) {
        fail(name, 'expected an issuer string, a non-empty list of them, or null')
      }
      return Object.freeze([...list])
    }),
    docs: {
      section: 'claims',
      type: 'string, string list or `null`',
      default: '`null`; the names of `issuers` when that is set',
      does: 'Required `iss`: one of these. With `null`, `iss` is not checked.',
      vsAuthX: 'A list is new.',
    },
  },
  decodeLeeway: {
    ...checked('number', 0, (value, f, name) => {
      const leeway = value ?? f
      if (typeof leeway !== 'number' || !Number.isFinite(leeway) || leeway < 0) {
        fail(name, 'expected a non-negative number of seconds')
      }
      return leeway
    }),
    docs: {
      section: 'claims',
      type: 'seconds (≥ 0)',
      does: 'Clock skew tolerated on `exp`, `nbf` and `iat`.',
      vsAuthX: 'Inert in AuthX (always 0).',
    },
  },
  encodeAudience: {
    ...audience(false),
    docs: {
      section: 'claims',
      does: '`aud` of created tokens (overridden by the `audience` option of a call). Set `decodeAudience` too, or your own tokens are refused.',
    },
  },
  encodeIssuer: {
    ...issuer(),
    docs: { section: 'claims', does: '`iss` of created tokens.' },
  },
  encodeNbf: {
    ...flag(true),
    docs: {
      section: 'claims',
      does: 'Write `nbf` (equal to `iat`) into created tokens.',
      vsAuthX: 'Inert in AuthX (never wrote `nbf`).',
    },
  },
  identityClaim: {
    ...checked('string', 'sub', (value, f, name) => {
      const claim = stringOption(name, value, f)
      // The claim is read from a parsed payload object: a prototype member is never a claim.
      if (claim === '__proto__' || claim === 'constructor' || claim === 'prototype')
        fail(name, `${JSON.stringify(claim)} names a prototype member; choose another claim`)
      return claim
    }),
    docs: {
      section: 'claims',
      does: 'Claim that holds the subject; `payload.sub` reads it.',
      vsAuthX: 'Inert in AuthX (always `sub`).',
    },
  },
  loginType: {
    ...checked('string', undefined, (value, _f, name) =>
      value === undefined ? null : stringOption(name, value, ''),
    ),
    docs: {
      section: 'claims',
      does: 'Stamped into every token as `login_type` (see [login types](login-types-and-policies.md)).',
      vsAuthX: 'A constructor argument in AuthX.',
    },
  },
  maxTokenLength: {
    ...checked('number', 8192, (value, f, name) => {
      const length = (value ?? f) as number
      if (!Number.isInteger(length) || length < 64) {
        fail(name, 'expected an integer of at least 64 characters')
      }
      return length
    }),
    docs: {
      section: 'claims',
      type: 'integer ≥ 64',
      does: 'Longest token accepted, in characters; longer ones are refused before any decoding.',
      vsAuthX: 'New.',
    },
  },

  // Where tokens are found.
  tokenLocation: {
    ...checked('location list', ['headers'], (value, f, name): readonly TokenLocation[] => {
      const locations = value ?? f
      if (!Array.isArray(locations)) fail(name, 'expected an array of locations')
      for (const loc of locations) {
        if (!TOKEN_LOCATIONS.includes(loc as TokenLocation)) {
          fail(name, `unknown location ${JSON.stringify(loc)}; use headers, cookies, json or query`)
        }
      }
      return Object.freeze([...(locations as TokenLocation[])])
    }),
    docs: {
      section: 'locations',
      does: 'Where tokens are looked for, in order; the first location holding a token wins.',
    },
  },
  headerName: {
    ...headerOrCookieName('Authorization'),
    docs: { section: 'locations', does: 'Header that carries the token (case-insensitive).' },
  },
  headerType: {
    // `null` and `''` both mean "no scheme": the whole header is the token.
    ...checked('string or null', 'Bearer', (value, f, name) =>
      stringOption(name, value ?? undefined, value === null ? '' : f, true),
    ),
    docs: {
      section: 'locations',
      does: "Scheme before the token; `''` or `null` means the whole header is the token.",
      vsAuthX: 'The scheme is parsed case-insensitively as a real prefix.',
    },
  },
  queryStringName: {
    ...text('token'),
    docs: {
      section: 'locations',
      does: 'Query parameter (also used by WebSocket authentication).',
      vsAuthX: 'The query reader honours access vs refresh.',
    },
  },
  jsonKey: {
    ...text('access_token'),
    docs: {
      section: 'locations',
      does: 'JSON body key of access tokens.',
      vsAuthX: '`; charset=` and `+json` content types accepted.',
    },
  },
  refreshJsonKey: {
    ...text('refresh_token'),
    docs: { section: 'locations', does: 'JSON body key of refresh tokens.', vsAuthX: 'Same.' },
  },

  // Cookies.
  accessCookieName: {
    ...headerOrCookieName('access_token_cookie'),
    docs: { section: 'cookies', does: 'Cookie holding the access token.' },
  },
  accessCookiePath: {
    ...cookiePath('/'),
    docs: { section: 'cookies', does: 'Its `Path`.' },
  },
  refreshCookieName: {
    ...headerOrCookieName('refresh_token_cookie'),
    docs: { section: 'cookies', does: 'Cookie holding the refresh token.' },
  },
  refreshCookiePath: {
    ...cookiePath('/'),
    docs: { section: 'cookies', does: 'Its `Path`.' },
  },
  cookieDomain: {
    ...checked('cookie domain', null, (value, _f, name) =>
      value === undefined || value === null ? null : grammarOption(name, value, '', COOKIE_DOMAIN),
    ),
    docs: { section: 'cookies', does: '`Domain` of every cookie set or deleted.' },
  },
  cookieMaxAge: {
    ...checked('number', null, (value, f, name) => {
      const maxAge = (value ?? f) as number | null
      if (maxAge !== null && (!Number.isInteger(maxAge) || maxAge < 0)) {
        fail(name, 'expected a non-negative integer number of seconds, or null')
      }
      return maxAge
    }),
    docs: {
      section: 'cookies',
      type: 'integer seconds ≥ 0, or `null`',
      does: '`Max-Age` of the cookies; `null` makes session cookies.',
    },
  },
  cookieSamesite: {
    ...checked('same-site', 'lax', (value, f, name) => {
      const sameSite = value === undefined ? f : value
      if (sameSite !== null && !['lax', 'strict', 'none'].includes(sameSite as string)) {
        fail(name, 'expected "lax", "strict", "none" or null')
      }
      return sameSite as SameSite | null
    }),
    docs: {
      section: 'cookies',
      type: "`'lax'`, `'strict'`, `'none'` or `null`",
      does: '`SameSite`; `null` omits it.',
      vsAuthX: 'Deletions carry the same `SameSite`, `Secure`, `Path` and `Domain` as the cookie.',
    },
  },
  cookieSecure: {
    ...flag(true),
    docs: { section: 'cookies', does: '`Secure` attribute.', vsAuthX: 'Same note.' },
  },
  cookieHttpOnly: {
    ...flag(true),
    docs: { section: 'cookies', does: '`HttpOnly` on token cookies (CSRF cookies never are).' },
  },
  sessionCookie: {
    ...flag(true),
    docs: {
      section: 'cookies',
      does: 'Kept for parity; cookies are session cookies unless `cookieMaxAge` is set.',
      vsAuthX: 'Inert in both.',
    },
  },

  // CSRF (double submit).
  cookieCsrfProtect: {
    ...flag(true),
    docs: {
      section: 'csrf',
      does: 'Master switch: a `csrf` claim is generated when `cookies` is a location, CSRF cookies are set, the header is required and compared.',
    },
  },
  csrfMethods: {
    ...methods(['POST', 'PUT', 'PATCH', 'DELETE']),
    docs: {
      section: 'csrf',
      type: `list of ${quoted(METHODS)}`,
      does: 'Adds methods on which a cookie token needs the CSRF header: every method but GET, HEAD and OPTIONS always needs it, judged on the request-line method (never one a method-override middleware rewrote). Only GET, HEAD and OPTIONS change anything.',
      vsAuthX: 'Any method outside the list skipped CSRF in AuthX.',
    },
  },
  csrfCheckForm: {
    ...flag(false),
    docs: {
      section: 'csrf',
      does: 'Accept the CSRF value from a form field when the header is absent.',
    },
  },
  csrfInCookies: {
    ...flag(true),
    docs: { section: 'csrf', does: 'Cookie helpers also set and delete the CSRF cookies.' },
  },
  accessCsrfCookieName: {
    ...headerOrCookieName('csrf_access_token'),
    docs: { section: 'csrf', does: "Readable cookie holding the access token's `csrf` claim." },
  },
  accessCsrfCookiePath: {
    ...cookiePath('/'),
    docs: { section: 'csrf', does: 'Its `Path`.' },
  },
  accessCsrfHeaderName: {
    ...headerOrCookieName('X-CSRF-TOKEN'),
    docs: { section: 'csrf', does: 'Header that must echo it.' },
  },
  accessCsrfFieldName: {
    ...text('csrf_token'),
    docs: { section: 'csrf', does: 'Form field read when `csrfCheckForm` is on.' },
  },
  refreshCsrfCookieName: {
    ...headerOrCookieName('csrf_refresh_token'),
    docs: { section: 'csrf', does: 'The same, for refresh tokens.' },
  },
  refreshCsrfCookiePath: {
    ...cookiePath('/'),
    docs: { section: 'csrf', does: '' },
  },
  refreshCsrfHeaderName: {
    ...headerOrCookieName('X-CSRF-TOKEN'),
    docs: { section: 'csrf', does: '' },
  },
  refreshCsrfFieldName: {
    ...text('csrf_token'),
    docs: { section: 'csrf', does: '' },
  },

  // Implicit refresh, sessions, features.
  implicitRefreshRouteExclude: {
    ...paths(),
    docs: {
      section: 'features',
      does: 'Paths where implicit refresh never runs (compared folded: escapes decoded, case and repeated or trailing slashes ignored).',
    },
  },
  implicitRefreshRouteInclude: {
    ...paths(),
    docs: {
      section: 'features',
      does: 'Paths where it always runs (beats the method lists), compared the same way.',
    },
  },
  implicitRefreshMethodExclude: {
    ...methods([]),
    docs: { section: 'features', does: 'Methods where it never runs.' },
  },
  implicitRefreshMethodInclude: {
    ...methods([]),
    docs: {
      section: 'features',
      does: 'When non-empty, it runs only on these methods.',
      vsAuthX: 'Behaved like "exclude" in AuthX.',
    },
  },
  implicitRefreshDeltatime: {
    ...checked('duration', '10m', (value, f, name) => {
      const seconds = parseDuration(value ?? f)
      if (seconds === undefined || seconds < 0) {
        fail(name, 'expected a number of seconds or a string like "10m"')
      }
      return seconds
    }),
    docs: {
      section: 'features',
      does: 'Refresh when the access token has less than this left.',
      vsAuthX:
        'The new token keeps custom claims, scopes, login type and family deadline; only successful responses get it, never a response that sets or deletes an auth cookie, nor after the handler revoked the token.',
    },
  },
  sessionTracking: {
    ...flag(false),
    docs: {
      section: 'features',
      does: 'Kept for parity: sessions are tracked when you create them (`createSession`).',
      vsAuthX: 'Inert in both.',
    },
  },
  sessionUpdateLastActive: {
    ...flag(true),
    docs: {
      section: 'features',
      does: "`auth.refresh()` of a session-bound token updates the session's `lastActive`.",
      vsAuthX: 'Inert in AuthX.',
    },
  },
  refreshRotation: {
    ...checked('switch', false, (value) => rotationOption(value as RotationSwitch)),
    docs: {
      section: 'features',
      type: '`true`, `false` or `{ familyLifetime }`',
      default: 'off',
      does: 'Refresh-token rotation with reuse detection; `true` means a 30-day family.',
      vsAuthX: 'New.',
    },
  },
  verifiedTokenCache: {
    ...checked('switch', false, (value) => cacheOption(value as CacheSwitch)),
    docs: {
      section: 'features',
      type: '`true`, `false` or `{ maxEntries }`',
      default: 'off',
      does: 'Bounded cache that skips the signature check for a token already verified; every claim, CSRF and revocation check still runs.',
      vsAuthX: 'New.',
    },
  },

  // Code-only options (and errorMessageKey, which the docs list with them).
  errorMessageKey: {
    ...text('detail'),
    docs: {
      section: 'code',
      does: "Body key of error messages (AuthX's own key was `message`; its `msg` default was inert). See [errors.md](errors.md).",
    },
  },
  messages: {
    ...checked('code', {}, (value, f, name) => {
      // The type refuses a misspelt class name; this refuses it from JavaScript too.
      knownSettings(name, value, MESSAGE_KEYS)
      return Object.freeze({ ...((value ?? f) as ErrorMessages) })
    }),
    docs: {
      section: 'code',
      type: '`{ [errorClassName]: string }`',
      does: "Per-instance message overrides, e.g. `{ TokenExpiredError: 'Session expired' }`.",
    },
  },
  store: {
    kind: 'code',
    default: undefined,
    // The constructor keeps the store as given, or creates a `MemoryStore` it owns.
    readBy: 'AuthX',
    docs: {
      section: 'code',
      type: '`Store`',
      default: 'a `MemoryStore` owned by the instance',
      does: 'Revocation, rotation, sessions and rate limits. Pass a `RedisStore` to share them across instances.',
    },
  },
  clock: {
    ...checked('code', wallClock, (value, f, name) => {
      const clock = value ?? f
      if (typeof clock !== 'function') fail(name, 'expected a function returning seconds')
      return clock as () => number
    }),
    docs: {
      section: 'code',
      type: '`() => number`',
      default: '`Date.now() / 1000`',
      does: 'Current time in seconds. Inject it in tests instead of mocking timers.',
    },
  },
} satisfies OptionSchema

/** The name of an option, as the table lists it. */
export type OptionName = keyof typeof OPTION_SCHEMA

/** What every row has, seen without its option's precise types. */
export interface AnyOptionRow {
  readonly kind: OptionKind
  readonly default: unknown
  readonly resolve?: Resolver<unknown> | undefined
  readonly readBy?: 'buildKeys' | 'AuthX'
  readonly docs: OptionDocs
}

/** The table row by row, for the code that walks it: `resolveConfig`, `configFromEnv`, the docs. */
export const OPTION_ROWS: Readonly<Record<OptionName, AnyOptionRow>> = OPTION_SCHEMA

/** Every option name, in the table's order. */
export const OPTION_NAMES = Object.keys(OPTION_SCHEMA) as readonly OptionName[]

/**
 * Whether `name` is an option (an own row of the table, so `toString` or `__proto__` never are).
 *
 * @param name - any string
 */
export function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTION_SCHEMA, name)
}

type RotationSwitch = AuthXOptions['refreshRotation']
type CacheSwitch = AuthXOptions['verifiedTokenCache']

/** The error class names whose message can be overridden, checked against `AuthXErrorName`. */
const MESSAGE_KEYS = optionKeys<ErrorMessages>()({
  MissingTokenError: true,
  MissingCSRFTokenError: true,
  JWTDecodeError: true,
  TokenExpiredError: true,
  TokenInvalidSignatureError: true,
  TokenInvalidAudienceError: true,
  TokenInvalidIssuerError: true,
  RevokedTokenError: true,
  TokenTypeError: true,
  AccessTokenRequiredError: true,
  RefreshTokenRequiredError: true,
  FreshTokenRequiredError: true,
  CSRFError: true,
  SubjectNotFoundError: true,
  InsufficientScopeError: true,
  LoginTypeMismatchError: true,
  PolicyDeniedError: true,
  RateLimitExceededError: true,
  StoreUnavailableError: true,
  KeySetUnavailableError: true,
})

/** Refuses a key a settings object does not have (`{ familyLifeTime }`), naming the nearest. */
function knownSettings(option: string, value: unknown, known: readonly string[]): void {
  const key = unknownKey(value, known)
  if (key !== undefined) fail(option, unknownKeyMessage('settings', key, known))
}

function cacheOption(value: CacheSwitch): { maxEntries: number } | null {
  if (value === undefined || value === false) return null
  knownSettings('verifiedTokenCache', value, ['maxEntries'])
  const maxEntries = value === true ? 10_000 : (value.maxEntries ?? 10_000)
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    fail('verifiedTokenCache.maxEntries', 'expected a positive integer')
  }
  return Object.freeze({ maxEntries })
}

function rotationOption(value: RotationSwitch): { familyLifetime: number } | null {
  if (value === undefined || value === false) return null
  if (value !== true && (typeof value !== 'object' || value === null)) {
    fail('refreshRotation', 'expected true, false or { familyLifetime }')
  }
  knownSettings('refreshRotation', value, ['familyLifetime'])
  const familyLifetime = lifetime(
    'refreshRotation.familyLifetime',
    value === true ? undefined : value.familyLifetime,
    30 * 86_400,
  )
  if (familyLifetime === null)
    fail('refreshRotation.familyLifetime', 'a family needs a finite lifetime')
  return Object.freeze({ familyLifetime })
}
