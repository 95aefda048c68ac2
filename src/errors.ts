/**
 * Every failure a request can meet, one class each, with the HTTP contract (status, stable code,
 * default message) attached. Misuse of the API is kept apart: it throws `BadConfigurationError`
 * or `TypeError` at start-up, never an `AuthXError` per request.
 *
 * @packageDocumentation
 */

const BRAND = Symbol.for('authx-ts.error')

/**
 * Every stable code this package gives an error: one per class, plus `ERR_AUTHX` (the base class)
 * and `ERR_AUTHX_BAD_CONFIGURATION` (a misconfiguration, not an {@link AuthXError}).
 *
 * @example A metrics label per code
 * ```ts
 * const labels: Partial<Record<AuthXErrorCode, string>> = { ERR_AUTHX_TOKEN_EXPIRED: 'expired' }
 * ```
 */
export type AuthXErrorCode =
  | 'ERR_AUTHX'
  | 'ERR_AUTHX_BAD_CONFIGURATION'
  | MissingTokenErrorCode
  | JWTDecodeErrorCode
  | 'ERR_AUTHX_TOKEN_REVOKED'
  | TokenTypeErrorCode
  | 'ERR_AUTHX_FRESH_TOKEN_REQUIRED'
  | 'ERR_AUTHX_CSRF'
  | 'ERR_AUTHX_SUBJECT_NOT_FOUND'
  | 'ERR_AUTHX_INSUFFICIENT_SCOPE'
  | 'ERR_AUTHX_POLICY_DENIED'
  | 'ERR_AUTHX_RATE_LIMITED'
  | 'ERR_AUTHX_STORE_UNAVAILABLE'
  | 'ERR_AUTHX_KEY_SET_UNAVAILABLE'

/**
 * The codes a {@link MissingTokenError} can carry: its own and its subclass's. A parent class's
 * `code` cannot be a single literal, since an instance may be a subclass with a code of its own.
 */
type MissingTokenErrorCode = 'ERR_AUTHX_MISSING_TOKEN' | 'ERR_AUTHX_MISSING_CSRF_TOKEN'

/** The codes a {@link JWTDecodeError} can carry: its own and its subclasses'. */
type JWTDecodeErrorCode =
  | 'ERR_AUTHX_INVALID_TOKEN'
  | 'ERR_AUTHX_TOKEN_EXPIRED'
  | 'ERR_AUTHX_INVALID_SIGNATURE'
  | 'ERR_AUTHX_INVALID_AUDIENCE'
  | 'ERR_AUTHX_INVALID_ISSUER'

/** The codes a {@link TokenTypeError} can carry: its own and its subclasses'. */
type TokenTypeErrorCode =
  | 'ERR_AUTHX_TOKEN_TYPE'
  | 'ERR_AUTHX_ACCESS_TOKEN_REQUIRED'
  | 'ERR_AUTHX_REFRESH_TOKEN_REQUIRED'
  | 'ERR_AUTHX_LOGIN_TYPE_MISMATCH'

/** Options accepted by every {@link AuthXError} constructor. */
export interface AuthXErrorOptions {
  /** Overrides the class's default message. */
  message?: string
  /** The lower-level error, kept for logs; never rendered into a response. */
  cause?: unknown
  /**
   * Why the request failed, for logs and debugging only (for example which locations were
   * searched). Never rendered into a response: the response carries the message alone.
   */
  reason?: string
}

/**
 * Base class of every error raised while authenticating a request.
 *
 * @example Telling auth failures apart from other errors
 * ```ts
 * try { await auth.authenticate(request) } catch (err) {
 *   if (isAuthXError(err)) return new Response(JSON.stringify(err.toJSON()), { status: err.statusCode })
 *   throw err
 * }
 * ```
 */
export class AuthXError extends Error {
  /** The default message of this class, used when none is given. */
  static readonly defaultMessage: string = 'Authentication error'
  /**
   * The stable code of this class's instances, readable without an instance (as jose's
   * `errors.JWTExpired.code`). Typed `string` here so that an application can subclass
   * `AuthXError` with a code of its own; each built-in class narrows it.
   */
  static readonly code: string = 'ERR_AUTHX'
  /** HTTP status of the response this error becomes. */
  readonly statusCode: number = 401
  /**
   * Stable, machine-readable code (`ERR_AUTHX_...`). `string` on the base class, for the same
   * reason as the static `code`; narrow a caught error with {@link AnyAuthXError} to switch on it.
   */
  readonly code: string = 'ERR_AUTHX'
  /** Internal detail for logs; never part of a response. */
  readonly reason: string | undefined
  /** @internal brand that survives duplicate copies of this module. */
  readonly [BRAND] = true

  /**
   * @param options - message override, cause and internal reason
   */
  constructor(options: AuthXErrorOptions = {}) {
    const ctor = new.target as unknown as { defaultMessage: string }
    super(options.message ?? ctor.defaultMessage, { cause: options.cause })
    this.name = new.target.name
    this.reason = options.reason
  }

  /** Extra members of the response body beyond the message and `error_type`. */
  extraBody(): Record<string, unknown> {
    return {}
  }

  /** Extra response headers, such as `Retry-After`. */
  extraHeaders(): Record<string, string> {
    return {}
  }

  /**
   * The RFC 6750 `WWW-Authenticate` challenge for this error, or `undefined` when the status is
   * not 401/403. The message is written as `error_description` within what RFC 6750 section 3
   * allows (see {@link renderError}); the body keeps it whole.
   *
   * @param message - the message to describe, so that a per-instance override (`messages`) says
   *   the same thing in the header as in the body (defaults to this error's message)
   */
  challenge(message: string = this.message): string | undefined {
    return `Bearer error="invalid_token", error_description="${descriptionValue(message)}"`
  }

  /**
   * The response body of the contract: `{ detail, error_type, ...extra }`.
   *
   * @param messageKey - the key that carries the message (`errorMessageKey`)
   * @param message - the message to render (defaults to this error's message)
   *
   * @example A body with AuthX's Python key
   * ```ts
   * new TokenExpiredError().toBody('message') // { message: 'Token has expired', error_type: 'TokenExpiredError' }
   * ```
   */
  toBody(messageKey = 'detail', message: string = this.message): Record<string, unknown> {
    return { [messageKey]: message, error_type: this.name, ...this.extraBody() }
  }

  /**
   * The default body, `{ detail, error_type, ...extra }`, for `JSON.stringify(error)`.
   * It takes no message key on purpose: `JSON.stringify` passes the property name that holds the
   * error (`''` at top level), which produced bodies like `{ "": "Invalid Token" }`. Use
   * {@link AuthXError.toBody} to choose the key.
   */
  toJSON(): Record<string, unknown> {
    return this.toBody()
  }
}

/**
 * An `error_description` (or `error_uri`) value as RFC 6750 section 3 allows it: only
 * `%x20-21 / %x23-5B / %x5D-7E`. A message can carry text from the configuration (login types,
 * overridden messages) or from a token (the login type it claims), and a header value outside
 * Latin-1, or with a control character, makes Node, undici and every framework refuse the whole
 * response: the client would get the framework's 500 instead of the 401/403 contract (and a raw
 * CR LF would split the header). Line breaks become one space, double quotes single quotes, and
 * every other character outside the set (one per code point) `?`; the JSON body keeps the full
 * text.
 */
function descriptionValue(value: string): string {
  return value
    .replace(/[\r\n]+/g, ' ')
    .replaceAll('"', "'")
    .replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/gu, '?')
}

/** A scope-token of RFC 6749 section 3.3, the only thing RFC 6750's `scope` attribute lists. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * The `scope="..."` parameter of an `insufficient_scope` challenge: the required scopes that are
 * scope-tokens, separated by single spaces. Any other scope (non-ASCII, with a space, a quote or a
 * backslash) cannot be written there and is left out; the body's `required_scopes` lists it. With
 * none left the attribute is omitted, since `scope=""` would claim that no scope is needed.
 */
function scopeParameter(required: readonly string[]): string {
  if (required.length === 0) return ', scope=""'
  const tokens = required.filter((scope) => SCOPE_TOKEN.test(scope))
  return tokens.length === 0 ? '' : `, scope="${tokens.join(' ')}"`
}

/**
 * Whether `value` is an {@link AuthXError}, even one from another copy of this package.
 *
 * @param value - anything caught
 */
export function isAuthXError(value: unknown): value is AuthXError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  )
}

/**
 * The configuration cannot work (no key for the algorithm, a short secret, an unknown option
 * value...). Thrown at construction, never per request; the message names the option and the fix.
 */
export class BadConfigurationError extends Error {
  /** Stable code, readable without an instance. */
  static readonly code = 'ERR_AUTHX_BAD_CONFIGURATION'
  /** Stable code. */
  readonly code = 'ERR_AUTHX_BAD_CONFIGURATION'
  /** @param message - what is wrong and how to fix it */
  constructor(message: string) {
    super(message)
    this.name = 'BadConfigurationError'
  }
}

/** No token was found in any searched location. */
export class MissingTokenError extends AuthXError {
  static override readonly defaultMessage: string = 'Missing JWT in request'
  /** This class's own code; typed with its subclass's too, since the static side is inherited. */
  static override readonly code: MissingTokenErrorCode = 'ERR_AUTHX_MISSING_TOKEN'
  /** `ERR_AUTHX_MISSING_TOKEN`, or `ERR_AUTHX_MISSING_CSRF_TOKEN` for the subclass. */
  override readonly code: MissingTokenErrorCode = 'ERR_AUTHX_MISSING_TOKEN'
  /**
   * No token was presented, so RFC 6750 section 3.1 says the challenge carries no error code and
   * no other error information: the message stays in the body.
   */
  override challenge(): string {
    return 'Bearer'
  }
}

/** A cookie token was sent on a CSRF-protected method without the CSRF header. */
export class MissingCSRFTokenError extends MissingTokenError {
  static override readonly defaultMessage = 'Missing CSRF token'
  static override readonly code = 'ERR_AUTHX_MISSING_CSRF_TOKEN'
  override readonly code = 'ERR_AUTHX_MISSING_CSRF_TOKEN'
  /** A token was presented without its companion header: a malformed request. */
  override challenge(message: string = this.message): string {
    return `Bearer error="invalid_request", error_description="${descriptionValue(message)}"`
  }
}

/** The token is malformed or one of its claims is invalid. */
export class JWTDecodeError extends AuthXError {
  static override readonly defaultMessage: string = 'Invalid Token'
  /** This class's own code; typed with its subclasses' too, since the static side is inherited. */
  static override readonly code: JWTDecodeErrorCode = 'ERR_AUTHX_INVALID_TOKEN'
  /** `ERR_AUTHX_INVALID_TOKEN`, or the code of the subclass that says more. */
  override readonly code: JWTDecodeErrorCode = 'ERR_AUTHX_INVALID_TOKEN'
}

/** The token's `exp` has passed (leeway included). */
export class TokenExpiredError extends JWTDecodeError {
  static override readonly defaultMessage = 'Token has expired'
  static override readonly code = 'ERR_AUTHX_TOKEN_EXPIRED'
  override readonly code = 'ERR_AUTHX_TOKEN_EXPIRED'
}

/** No configured key verifies the signature. */
export class TokenInvalidSignatureError extends JWTDecodeError {
  static override readonly defaultMessage = 'Signature verification failed'
  static override readonly code = 'ERR_AUTHX_INVALID_SIGNATURE'
  override readonly code = 'ERR_AUTHX_INVALID_SIGNATURE'
}

/** The `aud` claim does not name an accepted audience. */
export class TokenInvalidAudienceError extends JWTDecodeError {
  static override readonly defaultMessage = 'Invalid audience'
  static override readonly code = 'ERR_AUTHX_INVALID_AUDIENCE'
  override readonly code = 'ERR_AUTHX_INVALID_AUDIENCE'
}

/** The `iss` claim is not the accepted issuer. */
export class TokenInvalidIssuerError extends JWTDecodeError {
  static override readonly defaultMessage = 'Invalid issuer'
  static override readonly code = 'ERR_AUTHX_INVALID_ISSUER'
  override readonly code = 'ERR_AUTHX_INVALID_ISSUER'
}

/** The token was revoked (by `jti`, family, session or subject). */
export class RevokedTokenError extends AuthXError {
  static override readonly defaultMessage = 'Token has been revoked'
  static override readonly code = 'ERR_AUTHX_TOKEN_REVOKED'
  override readonly code = 'ERR_AUTHX_TOKEN_REVOKED'
}

/** The token's `type` is not the one the route requires. */
export class TokenTypeError extends AuthXError {
  static override readonly defaultMessage: string = 'Bad token type'
  /** This class's own code; typed with its subclasses' too, since the static side is inherited. */
  static override readonly code: TokenTypeErrorCode = 'ERR_AUTHX_TOKEN_TYPE'
  /** `ERR_AUTHX_TOKEN_TYPE`, or the code of the subclass that says more. */
  override readonly code: TokenTypeErrorCode = 'ERR_AUTHX_TOKEN_TYPE'
}

/** A route that needs an access token received another type. */
export class AccessTokenRequiredError extends TokenTypeError {
  static override readonly defaultMessage = 'Access token required'
  static override readonly code = 'ERR_AUTHX_ACCESS_TOKEN_REQUIRED'
  override readonly code = 'ERR_AUTHX_ACCESS_TOKEN_REQUIRED'
}

/** A route that needs a refresh token received another type. */
export class RefreshTokenRequiredError extends TokenTypeError {
  static override readonly defaultMessage = 'Refresh token required'
  static override readonly code = 'ERR_AUTHX_REFRESH_TOKEN_REQUIRED'
  override readonly code = 'ERR_AUTHX_REFRESH_TOKEN_REQUIRED'
}

/** A route that needs a fresh access token received a non-fresh one. */
export class FreshTokenRequiredError extends AuthXError {
  static override readonly defaultMessage = 'Fresh token required'
  static override readonly code = 'ERR_AUTHX_FRESH_TOKEN_REQUIRED'
  override readonly code = 'ERR_AUTHX_FRESH_TOKEN_REQUIRED'
}

/** The CSRF header does not match the token's `csrf` claim. */
export class CSRFError extends AuthXError {
  static override readonly defaultMessage = 'CSRF double submit does not match'
  static override readonly code = 'ERR_AUTHX_CSRF'
  override readonly code = 'ERR_AUTHX_CSRF'
}

/** The subject getter found nothing for the token's subject. */
export class SubjectNotFoundError extends AuthXError {
  static override readonly defaultMessage = 'Subject not found'
  static override readonly code = 'ERR_AUTHX_SUBJECT_NOT_FOUND'
  override readonly code = 'ERR_AUTHX_SUBJECT_NOT_FOUND'
}

/** Formats a scope list for a message: `read, write`, or `none`. */
function formatScopes(scopes: readonly string[]): string {
  return scopes.length === 0 ? 'none' : scopes.join(', ')
}

/** The token lacks scopes the route requires (403). */
export class InsufficientScopeError extends AuthXError {
  static override readonly defaultMessage = 'Missing required scopes'
  override readonly statusCode = 403
  static override readonly code = 'ERR_AUTHX_INSUFFICIENT_SCOPE'
  override readonly code = 'ERR_AUTHX_INSUFFICIENT_SCOPE'
  /** Scopes the route asked for. */
  readonly requiredScopes: readonly string[]
  /** Scopes the token carried (empty when it had none). */
  readonly providedScopes: readonly string[]

  /**
   * @param required - the scopes the route requires
   * @param provided - the scopes the token carries
   * @param options - message override and cause
   */
  constructor(
    required: readonly string[],
    provided: readonly string[],
    options: AuthXErrorOptions = {},
  ) {
    super({
      message: `Missing required scopes: ${formatScopes(required)}. Provided: ${formatScopes(provided)}`,
      ...options,
    })
    this.requiredScopes = [...required]
    this.providedScopes = [...provided]
  }

  override extraBody(): Record<string, unknown> {
    return { required_scopes: this.requiredScopes, provided_scopes: this.providedScopes }
  }

  override challenge(): string {
    return `Bearer error="insufficient_scope"${scopeParameter(this.requiredScopes)}`
  }
}

/** The token was issued for another login type (see `AuthManager`). */
export class LoginTypeMismatchError extends TokenTypeError {
  static override readonly code = 'ERR_AUTHX_LOGIN_TYPE_MISMATCH'
  override readonly code = 'ERR_AUTHX_LOGIN_TYPE_MISMATCH'
  /** The login type the route expects. */
  readonly expectedType: string
  /** The login type the token carries, or null when it has none. */
  readonly actualType: string | null

  /**
   * @param expected - the login type the route expects
   * @param actual - the login type of the token, or null
   * @param options - message override and cause
   */
  constructor(expected: string, actual: string | null, options: AuthXErrorOptions = {}) {
    super({
      message: `Token type mismatch: expected '${expected}', got '${actual ?? 'unknown'}'`,
      ...options,
    })
    this.expectedType = expected
    this.actualType = actual
  }

  override extraBody(): Record<string, unknown> {
    return { expected_type: this.expectedType, actual_type: this.actualType }
  }
}

/** An authorization policy denied the request (403); the message is the policy's reason. */
export class PolicyDeniedError extends AuthXError {
  static override readonly defaultMessage = 'Policy denied'
  override readonly statusCode = 403
  static override readonly code = 'ERR_AUTHX_POLICY_DENIED'
  override readonly code = 'ERR_AUTHX_POLICY_DENIED'
  override challenge(): undefined {
    return undefined
  }
}

/** The largest `Retry-After` rendered: a year of seconds, far below exponent notation. */
const MAX_RETRY_AFTER = 366 * 86_400

/** Too many requests for this key (429). */
export class RateLimitExceededError extends AuthXError {
  override readonly statusCode = 429
  static override readonly code = 'ERR_AUTHX_RATE_LIMITED'
  override readonly code = 'ERR_AUTHX_RATE_LIMITED'
  /** Whole seconds until the window lets the next request through. */
  readonly retryAfter: number

  /**
   * @param retryAfter - seconds until the next request may pass (rounded up, at least 1)
   * @param options - message override and cause
   */
  constructor(retryAfter: number, options: AuthXErrorOptions = {}) {
    // `Retry-After` is delay-seconds, 1*DIGIT (RFC 9110 section 10.2.3): NaN, Infinity or a
    // number that prints in exponent form would be an invalid header, so clamp to what prints
    // as digits.
    const seconds = Number.isNaN(retryAfter)
      ? 1
      : Math.min(MAX_RETRY_AFTER, Math.max(1, Math.ceil(retryAfter)))
    super({ message: `Rate limit exceeded. Retry after ${seconds} seconds.`, ...options })
    this.retryAfter = seconds
  }

  override extraBody(): Record<string, unknown> {
    return { retry_after: this.retryAfter }
  }

  override extraHeaders(): Record<string, string> {
    return { 'retry-after': String(this.retryAfter) }
  }

  override challenge(): undefined {
    return undefined
  }
}

/** The revocation/session/rate-limit store could not answer; we fail closed (503). */
export class StoreUnavailableError extends AuthXError {
  static override readonly defaultMessage = 'Authentication store unavailable'
  override readonly statusCode = 503
  static override readonly code = 'ERR_AUTHX_STORE_UNAVAILABLE'
  override readonly code = 'ERR_AUTHX_STORE_UNAVAILABLE'
  override challenge(): undefined {
    return undefined
  }
}

/**
 * The verification keys could not be loaded: a remote JWK Set (`jwksUri`, `issuers`) failed to
 * answer while no usable key was cached. A 503 rather than a 401: the token may well be valid, and
 * a client that logs its user out on 401 must not do so because the identity provider is down.
 */
export class KeySetUnavailableError extends AuthXError {
  static override readonly defaultMessage = 'Key set unavailable'
  override readonly statusCode = 503
  static override readonly code = 'ERR_AUTHX_KEY_SET_UNAVAILABLE'
  override readonly code = 'ERR_AUTHX_KEY_SET_UNAVAILABLE'
  override challenge(): undefined {
    return undefined
  }
}

/** Names of the error classes whose message can be overridden per instance. */
export type AuthXErrorName =
  | 'MissingTokenError'
  | 'MissingCSRFTokenError'
  | 'JWTDecodeError'
  | 'TokenExpiredError'
  | 'TokenInvalidSignatureError'
  | 'TokenInvalidAudienceError'
  | 'TokenInvalidIssuerError'
  | 'RevokedTokenError'
  | 'TokenTypeError'
  | 'AccessTokenRequiredError'
  | 'RefreshTokenRequiredError'
  | 'FreshTokenRequiredError'
  | 'CSRFError'
  | 'SubjectNotFoundError'
  | 'InsufficientScopeError'
  | 'LoginTypeMismatchError'
  | 'PolicyDeniedError'
  | 'RateLimitExceededError'
  | 'StoreUnavailableError'
  | 'KeySetUnavailableError'

/**
 * Per-class message overrides (the `messages` option), keyed by the exact class name, so that a
 * misspelt name (`TokenExpiredEror`) does not compile instead of being ignored at run time.
 */
export type ErrorMessages = Partial<Record<AuthXErrorName, string>>

/** A class whose instances may be subclasses, seen with its own code only. */
type WithOwnCode<E extends AuthXError, C extends E['code']> = E & { readonly code: C }

/**
 * Every error this package raises per request, each class paired with its own code, so that a
 * `switch` on `code` narrows to the class and its extra members (as jose's `AnyJOSEError`). A
 * caught value is `unknown`: check it with {@link isAuthXError} and cast, since an application may
 * subclass `AuthXError` with codes this union does not list.
 *
 * @example Branching on the code
 * ```ts
 * if (isAuthXError(err)) {
 *   const error = err as AnyAuthXError
 *   switch (error.code) {
 *     case 'ERR_AUTHX_INSUFFICIENT_SCOPE':
 *       log.info({ required: error.requiredScopes }) // InsufficientScopeError
 *       break
 *     case 'ERR_AUTHX_RATE_LIMITED':
 *       metrics.limited(error.retryAfter) // RateLimitExceededError
 *       break
 *   }
 * }
 * ```
 */
export type AnyAuthXError =
  | WithOwnCode<MissingTokenError, 'ERR_AUTHX_MISSING_TOKEN'>
  | MissingCSRFTokenError
  | WithOwnCode<JWTDecodeError, 'ERR_AUTHX_INVALID_TOKEN'>
  | TokenExpiredError
  | TokenInvalidSignatureError
  | TokenInvalidAudienceError
  | TokenInvalidIssuerError
  | RevokedTokenError
  | WithOwnCode<TokenTypeError, 'ERR_AUTHX_TOKEN_TYPE'>
  | AccessTokenRequiredError
  | RefreshTokenRequiredError
  | FreshTokenRequiredError
  | CSRFError
  | SubjectNotFoundError
  | InsufficientScopeError
  | LoginTypeMismatchError
  | PolicyDeniedError
  | RateLimitExceededError
  | StoreUnavailableError
  | KeySetUnavailableError

/** An error rendered into the parts of an HTTP response, ready for any framework to send. */
export interface ErrorResponse {
  /** HTTP status. */
  status: number
  /** Lower-case header names to values (`content-type`, `www-authenticate`, `retry-after`...). */
  headers: Record<string, string>
  /** The JSON body of the contract. */
  body: Record<string, unknown>
}

/** An RFC 9110 section 5.1 field name (a token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/**
 * The last gate before headers reach a framework. The built-in errors already render valid
 * values; a subclass may override `challenge()` or `extraHeaders()` with any text, and one bad
 * header makes the framework drop the whole 401/403 for its own 500. A name that is not a token
 * is left out; in a value line breaks become one space, and anything but visible ASCII, space
 * and tab becomes `?`.
 */
function validHeaders(headers: Record<string, string>): Record<string, string> {
  const valid: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!FIELD_NAME.test(name) || typeof value !== 'string') continue
    valid[name.toLowerCase()] = value.replace(/[\r\n]+/g, ' ').replace(/[^\t\x20-\x7E]/gu, '?')
  }
  return valid
}

/**
 * Renders an {@link AuthXError} into status, headers and body. Every header value is printable
 * ASCII whatever text the scopes, login types or messages hold: `scope` lists only scope-tokens,
 * `error_description` replaces what RFC 6750 section 3 forbids, `Retry-After` is whole seconds.
 * The body carries the full text. A message override reaches both the body and the challenge's
 * `error_description`, so a client never reads two different messages for one failure.
 *
 * @param error - the error to render
 * @param messageKey - the body key that carries the message (`errorMessageKey`)
 * @param messages - per-class message overrides
 *
 * @example A scope outside ASCII
 * ```ts
 * renderError(new InsufficientScopeError(['読む'], []))
 * // status 403, www-authenticate 'Bearer error="insufficient_scope"',
 * // body { detail: 'Missing required scopes: 読む. Provided: none', required_scopes: ['読む'], ... }
 * ```
 */
export function renderError(
  error: AuthXError,
  messageKey = 'detail',
  messages: Readonly<ErrorMessages> = {},
): ErrorResponse {
  // An own string only: `messages` is user data (its type is no promise at run time), and an
  // inherited member is no override.
  const overrides = messages as Readonly<Record<string, unknown>>
  const override = Object.hasOwn(overrides, error.name) ? overrides[error.name] : undefined
  const message = typeof override === 'string' ? override : error.message
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...error.extraHeaders(),
  }
  const challenge = error.challenge(message)
  if (challenge !== undefined) headers['www-authenticate'] = challenge
  return {
    status: error.statusCode,
    headers: validHeaders(headers),
    body: error.toBody(messageKey, message),
  }
}
