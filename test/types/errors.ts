/**
 * The error contract's types: literal codes per class (instance and static), `AnyAuthXError`
 * narrowing on `code`, and `messages` keyed by class name.
 *
 * @packageDocumentation
 */
import {
  renderError,
  JWTDecodeError,
  MissingTokenError,
  TokenExpiredError,
  TokenTypeError,
  type AnyAuthXError,
  type AuthXError,
  type AuthXErrorCode,
  type AuthXErrorName,
  type AuthXOptions,
  type ErrorMessages,
  type InsufficientScopeError,
  type LoginTypeMismatchError,
  type RateLimitExceededError,
} from 'authx-ts'
import type { Equal, Expect } from './helpers.ts'

export type LiteralCodes = [
  Expect<Equal<TokenExpiredError['code'], 'ERR_AUTHX_TOKEN_EXPIRED'>>,
  Expect<Equal<typeof TokenExpiredError.code, 'ERR_AUTHX_TOKEN_EXPIRED'>>,
  Expect<Equal<InsufficientScopeError['code'], 'ERR_AUTHX_INSUFFICIENT_SCOPE'>>,
  // A parent class's instance may be a subclass: its code is its own or a subclass's.
  Expect<
    Equal<
      JWTDecodeError['code'],
      | 'ERR_AUTHX_INVALID_TOKEN'
      | 'ERR_AUTHX_TOKEN_EXPIRED'
      | 'ERR_AUTHX_INVALID_SIGNATURE'
      | 'ERR_AUTHX_INVALID_AUDIENCE'
      | 'ERR_AUTHX_INVALID_ISSUER'
    >
  >,
  Expect<
    Equal<MissingTokenError['code'], 'ERR_AUTHX_MISSING_TOKEN' | 'ERR_AUTHX_MISSING_CSRF_TOKEN'>
  >,
  Expect<Equal<TokenTypeError['code'] extends AuthXErrorCode ? true : false, true>>,
  // The base class stays open to applications' own subclasses.
  Expect<Equal<AuthXError['code'], string>>,
]

/** Every code but the base class's and the misconfiguration's is some AnyAuthXError's. */
export type CodesCovered = Expect<
  Equal<AnyAuthXError['code'], Exclude<AuthXErrorCode, 'ERR_AUTHX' | 'ERR_AUTHX_BAD_CONFIGURATION'>>
>

/** `AnyAuthXError['name']` is `string` (from `Error`), so the names are checked one by one. */
export type NamesCovered = Expect<
  Equal<
    AuthXErrorName,
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
  >
>

/** A switch on `code` narrows to the class, with its own members; the default is unreachable. */
export function narrow(error: AnyAuthXError): string {
  switch (error.code) {
    case 'ERR_AUTHX_INSUFFICIENT_SCOPE': {
      const narrowed: Expect<Equal<typeof error, InsufficientScopeError>> = true
      return `${String(narrowed)} ${error.requiredScopes.join(' ')}`
    }
    case 'ERR_AUTHX_RATE_LIMITED': {
      const narrowed: Expect<Equal<typeof error, RateLimitExceededError>> = true
      return `${String(narrowed)} ${error.retryAfter}`
    }
    case 'ERR_AUTHX_LOGIN_TYPE_MISMATCH': {
      const narrowed: Expect<Equal<typeof error, LoginTypeMismatchError>> = true
      return `${String(narrowed)} ${error.expectedType}`
    }
    case 'ERR_AUTHX_TOKEN_EXPIRED': {
      const narrowed: Expect<Equal<typeof error, TokenExpiredError>> = true
      return String(narrowed)
    }
    case 'ERR_AUTHX_INVALID_TOKEN': {
      // The parent class with its own code only: no subclass is left in this branch.
      const isParent: JWTDecodeError = error
      // @ts-expect-error this branch is not the expired-token error
      const isSubclass: TokenExpiredError = error
      return `${isParent.message} ${isSubclass.message}`
    }
    case 'ERR_AUTHX_MISSING_TOKEN':
    case 'ERR_AUTHX_MISSING_CSRF_TOKEN':
    case 'ERR_AUTHX_INVALID_SIGNATURE':
    case 'ERR_AUTHX_INVALID_AUDIENCE':
    case 'ERR_AUTHX_INVALID_ISSUER':
    case 'ERR_AUTHX_TOKEN_REVOKED':
    case 'ERR_AUTHX_TOKEN_TYPE':
    case 'ERR_AUTHX_ACCESS_TOKEN_REQUIRED':
    case 'ERR_AUTHX_REFRESH_TOKEN_REQUIRED':
    case 'ERR_AUTHX_FRESH_TOKEN_REQUIRED':
    case 'ERR_AUTHX_CSRF':
    case 'ERR_AUTHX_SUBJECT_NOT_FOUND':
    case 'ERR_AUTHX_POLICY_DENIED':
    case 'ERR_AUTHX_STORE_UNAVAILABLE':
    case 'ERR_AUTHX_KEY_SET_UNAVAILABLE':
      return error.message
    default: {
      const unreachable: never = error
      return unreachable
    }
  }
}

export function misuse(error: AnyAuthXError): void {
  // @ts-expect-error not a code of this package
  if (error.code === 'ERR_AUTHX_TOKEN_EXPRIED') return
  // @ts-expect-error only a scope error has requiredScopes
  void error.requiredScopes
}

export const messages: ErrorMessages = {
  TokenExpiredError: 'Session expired',
  MissingTokenError: 'Please log in',
}

export function messagesByClassName(error: AuthXError): void {
  renderError(error, 'detail', { JWTDecodeError: 'Bad token' })
  // @ts-expect-error a misspelt class name is not an override
  renderError(error, 'detail', { TokenExpiredEror: 'Session expired' })
  // @ts-expect-error a misspelt class name is not an override
  const typo: ErrorMessages = { MissingTokenErorr: 'Please log in' }
  // @ts-expect-error a message is a string
  const notText: ErrorMessages = { TokenExpiredError: 401 }
  void typo
  void notText
}

/** The `messages` option takes the same type. */
export const options: AuthXOptions = {
  secretKey: 'a secret of at least thirty-two bytes',
  messages: { TokenExpiredError: 'Session expired' },
}

export const misspelt: AuthXOptions = {
  secretKey: 'a secret of at least thirty-two bytes',
  // @ts-expect-error a misspelt class name is not an override
  messages: { TokenExpiredEror: 'Session expired' },
}
