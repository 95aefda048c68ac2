/**
 * Finding the token in a request. Locations are searched in the configured order and the first
 * one that yields a token wins, even if that token later fails verification (no fallback past a
 * bad token). A location that has nothing is a "miss" and the search moves on.
 */
import type { AuthXConfig } from '../config/index.ts'
import type { RequestView, TokenLocation, TokenType } from '../types.ts'
import { JWTDecodeError, MissingCSRFTokenError, MissingTokenError } from '../errors.ts'
import { csrfApplies, markCsrfExempt } from './csrf.ts'
import { isJSONContentType } from './view.ts'

/** A token found in a request, not yet verified. */
export interface RequestToken {
  /** The compact JWS. */
  readonly token: string
  /** The CSRF value presented with a cookie token on a CSRF method, if any. */
  readonly csrf: string | undefined
  /** The kind of token the route expects (it picked the cookie name, JSON key and CSRF header). */
  readonly type: TokenType
  /** Where it was found: a location, or `extractor` when a custom extractor returned it. */
  readonly location: TokenLocation | 'extractor'
}

/**
 * A custom token extractor: returns the token it finds in the request, or null/undefined when
 * there is none (the configured locations are then searched). It runs before the locations and
 * must be synchronous. A token it returns is never CSRF-checked: read only what a cross-site form
 * cannot send (a header, not a cookie; for cookies use the `cookies` location).
 *
 * @param request - the core's view of the request
 * @param type - the kind of token the route expects
 */
export type TokenExtractor = (request: RequestView, type: TokenType) => string | null | undefined

/** What to look for. */
export interface ExtractOptions {
  /** Access or refresh: picks the cookie, JSON key and CSRF header names. */
  readonly type: TokenType
  /** Locations to search, in order. @defaultValue `tokenLocation` */
  readonly locations?: readonly TokenLocation[] | undefined
  /** Consulted before the locations; see {@link TokenExtractor}. */
  readonly extractor?: TokenExtractor | undefined
}

/** What a custom extractor returned, as a request token (or null for nothing). */
function fromExtractor(
  view: RequestView,
  extractor: TokenExtractor,
  type: TokenType,
): RequestToken | null {
  const token = extractor(view, type)
  if (token === null || token === undefined || token === '') return null
  if (typeof token !== 'string')
    throw new TypeError('a token extractor must return a string, null or undefined')
  return { token, csrf: undefined, type, location: 'extractor' }
}

type Found = RequestToken | string

/** Reads the configured header and its scheme, as a real parse (RFC 7235), case-insensitive. */
function fromHeaders(view: RequestView, config: AuthXConfig, type: TokenType): Found {
  const value = view.header(config.headerName.toLowerCase())
  if (value === undefined) return `no ${config.headerName} header`
  const trimmed = value.trim()
  let token = trimmed
  if (config.headerType !== '') {
    const space = trimmed.search(/\s/)
    const scheme = space === -1 ? trimmed : trimmed.slice(0, space)
    if (scheme.toLowerCase() !== config.headerType.toLowerCase()) {
      return `${config.headerName} header does not use the ${config.headerType} scheme`
    }
    token = space === -1 ? '' : trimmed.slice(space).trim()
  }
  // `Bearer Bearer x`, `Bearer a, Bearer b`: more than one credential is not a token.
  if (/\s|,/.test(token))
    throw new JWTDecodeError({ reason: 'authorization header holds more than one value' })
  return { token, csrf: undefined, type, location: 'headers' }
}

/** Reads the token cookie; on CSRF methods the CSRF value must come with it. */
function fromCookies(view: RequestView, config: AuthXConfig, type: TokenType): Found {
  const access = type === 'access'
  const name = access ? config.accessCookieName : config.refreshCookieName
  const token = view.cookie(name)
  if (token === undefined || token === '') return `no ${name} cookie`
  if (!csrfApplies(config, view.method))
    return markCsrfExempt({ token, csrf: undefined, type, location: 'cookies' })
  const headerName = access ? config.accessCsrfHeaderName : config.refreshCsrfHeaderName
  let csrf = view.header(headerName.toLowerCase())
  if ((csrf === undefined || csrf === '') && config.csrfCheckForm) {
    const form = view.form()
    const field =
      form !== null && typeof form === 'object'
        ? (form as Record<string, unknown>)[
            access ? config.accessCsrfFieldName : config.refreshCsrfFieldName
          ]
        : undefined
    csrf = typeof field === 'string' ? field : undefined
  }
  if (csrf === undefined || csrf === '')
    throw new MissingCSRFTokenError({ reason: `cookie ${name} without the ${headerName} header` })
  return { token, csrf, type, location: 'cookies' }
}

/** Reads the query parameter; AuthX typed it "access" always, we honour the route's type. */
function fromQuery(view: RequestView, config: AuthXConfig, type: TokenType): Found {
  const value = view.query(config.queryStringName)
  if (value === undefined) return `no ${config.queryStringName} query parameter`
  // `?token=a&token=b` is ambiguous: refuse it instead of guessing which one was meant.
  if (typeof value !== 'string') throw new JWTDecodeError({ reason: 'query parameter repeated' })
  return { token: value, csrf: undefined, type, location: 'query' }
}

/** Reads the JSON body; `application/json` with parameters and `+json` types count. */
function fromJSON(view: RequestView, config: AuthXConfig, type: TokenType): Found {
  if (!isJSONContentType(view.header('content-type'))) return 'body is not JSON'
  const body = view.json()
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'JSON body is not an object'
  const key = type === 'access' ? config.jsonKey : config.refreshJsonKey
  const value: unknown = Object.hasOwn(body, key)
    ? (body as Record<string, unknown>)[key]
    : undefined
  if (typeof value !== 'string' || value === '') return `no string ${key} in the JSON body`
  return { token: value, csrf: undefined, type, location: 'json' }
}

const READERS: Record<
  TokenLocation,
  (view: RequestView, config: AuthXConfig, type: TokenType) => Found
> = {
  headers: fromHeaders,
  cookies: fromCookies,
  query: fromQuery,
  json: fromJSON,
}

/**
 * Finds the token, or explains why there is none.
 *
 * @param view - the request
 * @param config - the instance's configuration
 * @param options - token type and locations
 * @returns the token, or null when no location had one (with the reasons in `misses`)
 * @throws JWTDecodeError when a location holds something that cannot be a single token
 */
export function extractToken(
  view: RequestView,
  config: AuthXConfig,
  options: ExtractOptions,
  misses: string[] = [],
): RequestToken | null {
  if (options.extractor !== undefined) {
    const found = fromExtractor(view, options.extractor, options.type)
    if (found !== null) return found
    misses.push('the token extractor found none')
  }
  let csrfMiss: MissingCSRFTokenError | undefined
  for (const location of options.locations ?? config.tokenLocation) {
    try {
      const found = READERS[location](view, config, options.type)
      if (typeof found !== 'string') return found
      misses.push(found)
    } catch (error) {
      if (!(error instanceof MissingCSRFTokenError)) throw error
      // A cookie without its CSRF header counts as missing: another location may still have one.
      csrfMiss = error
      misses.push(error.reason ?? 'missing CSRF header')
    }
  }
  if (csrfMiss !== undefined) throw csrfMiss
  return null
}

/**
 * Like {@link extractToken}, but a request without a token is an error.
 *
 * @throws MissingTokenError (or MissingCSRFTokenError) when no location had a token
 */
export function requireToken(
  view: RequestView,
  config: AuthXConfig,
  options: ExtractOptions,
): RequestToken {
  const misses: string[] = []
  const found = extractToken(view, config, options, misses)
  if (found === null) {
    const searched = (options.locations ?? config.tokenLocation).join(', ')
    throw new MissingTokenError({ reason: `searched [${searched}]: ${misses.join('; ')}` })
  }
  return found
}
