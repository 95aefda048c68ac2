/**
 * Audit events on `node:diagnostics_channel`: one named channel per security event (a token
 * issued, an authentication refused, a refresh, a reused refresh token, a revocation, a session
 * created or ended, a rate limit hit, the store unreachable). An application subscribes with
 * `diagnostics_channel.subscribe(AUDIT_CHANNELS.tokenIssued, listener)` and turns the messages
 * into logs, metrics or spans; the library itself never logs.
 *
 * Publishing costs nothing while nobody listens: every call site asks `hasSubscribers` before it
 * builds a message. Messages never carry a token, a cookie, a CSRF value or a key.
 *
 * Deno, Bun and Cloudflare Workers (with `nodejs_compat`) provide `node:diagnostics_channel` too.
 *
 * @packageDocumentation
 */
import { channel } from 'node:diagnostics_channel'
import { isAuthXError } from '../errors.ts'
import type { AuthXError } from '../errors.ts'
import type { TokenType } from '../types.ts'

/**
 * The name of every audit channel. Names are stable: they are part of the public API.
 *
 * @example Logging every refused request
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel'
 * import { AUDIT_CHANNELS, type AuthenticationFailedEvent } from 'authx-ts'
 * subscribe(AUDIT_CHANNELS.authenticationFailed, (message) => {
 *   const event = message as AuthenticationFailedEvent
 *   console.warn(`${event.method} ${event.path}: ${event.error}`)
 * })
 * ```
 */
export const AUDIT_CHANNELS = Object.freeze({
  /** {@link TokenIssuedEvent}: an access or refresh token was created. */
  tokenIssued: 'authx-ts:token:issued',
  /** {@link AuthenticationFailedEvent}: a request or a refresh was refused. */
  authenticationFailed: 'authx-ts:authentication:failed',
  /** {@link TokenRefreshedEvent}: a refresh token (or an expiring access cookie) was exchanged. */
  tokenRefreshed: 'authx-ts:token:refreshed',
  /** {@link RefreshReuseDetectedEvent}: a spent or revoked refresh token came back. */
  refreshReuseDetected: 'authx-ts:refresh:reuse-detected',
  /** {@link TokenRevokedEvent}: a token, every token of a subject, or a refresh family revoked. */
  tokenRevoked: 'authx-ts:token:revoked',
  /** {@link SessionCreatedEvent}: a login session started. */
  sessionCreated: 'authx-ts:session:created',
  /** {@link SessionRevokedEvent}: a login session was ended. */
  sessionRevoked: 'authx-ts:session:revoked',
  /** {@link RateLimitHitEvent}: a request went over a rate limit (answered 429). */
  rateLimitHit: 'authx-ts:rate-limit:hit',
  /** {@link StoreUnavailableEvent}: the store or the blocklist could not answer (503). */
  storeUnavailable: 'authx-ts:store:unavailable',
} as const)

/** The name of one audit channel. */
export type AuditChannelName = (typeof AUDIT_CHANNELS)[keyof typeof AUDIT_CHANNELS]

/** Message of `authx-ts:token:issued`. */
export interface TokenIssuedEvent {
  /** `access` or `refresh`. */
  readonly type: TokenType
  /** The subject (the identity claim). */
  readonly sub: string
  /** The token's id. */
  readonly jti: string
  /** Expiry in seconds since the epoch, or null for a token that never expires. */
  readonly exp: number | null
  /** Whether an access token is fresh (always false for a refresh token). */
  readonly fresh: boolean
  /** Granted scopes, if any. */
  readonly scopes: readonly string[] | undefined
  /** The session id (`sid`), if the token belongs to a session. */
  readonly sid: string | undefined
  /** The refresh family (`fam`), if the token belongs to one. */
  readonly fam: string | undefined
}

/** Message of `authx-ts:authentication:failed`. Never carries the token. */
export interface AuthenticationFailedEvent {
  /** The error class name, the response's `error_type` (`TokenExpiredError`...). */
  readonly error: string
  /** The error's stable code (`ERR_AUTHX_TOKEN_EXPIRED`...). */
  readonly code: string
  /** The response status (401, 403, 503...). */
  readonly statusCode: number
  /** Internal detail for logs (which locations were searched...), if the error has one. */
  readonly reason: string | undefined
  /** `authenticate` for a guarded request, `refresh` for a token exchange. */
  readonly operation: 'authenticate' | 'refresh'
  /** The request method, when a request was authenticated. */
  readonly method: string | undefined
  /** The request path (no query string), when a request was authenticated. */
  readonly path: string | undefined
}

/** Message of `authx-ts:token:refreshed`. */
export interface TokenRefreshedEvent {
  /** The subject. */
  readonly sub: string
  /** The id of the token exchanged (the refresh token, or the access cookie when implicit). */
  readonly jti: string | undefined
  /** The refresh family, if any. */
  readonly fam: string | undefined
  /** The session id, if any. */
  readonly sid: string | undefined
  /** Whether the refresh token was spent and replaced (rotation on). */
  readonly rotated: boolean
  /** True for implicit refresh (a new access cookie), false for `auth.refresh`. */
  readonly implicit: boolean
}

/** Message of `authx-ts:refresh:reuse-detected`: the family is revoked as this is published. */
export interface RefreshReuseDetectedEvent {
  /** The family ended because of the reuse. */
  readonly fam: string
  /** The subject whose login it was. */
  readonly sub: string
  /** The id of the refresh token presented again. */
  readonly jti: string | undefined
}

/** Message of `authx-ts:token:revoked`. */
export interface TokenRevokedEvent {
  /** What was revoked: one token (`jti`), every token of a subject, or a refresh family. */
  readonly kind: 'jti' | 'subject' | 'family'
  /** The token id, the subject or the family id. */
  readonly id: string
  /** The subject, when known. */
  readonly sub: string | undefined
  /** Until when (seconds since the epoch) the revocation is kept. */
  readonly until: number
}

/** Message of `authx-ts:session:created`. */
export interface SessionCreatedEvent {
  /** The session id (the tokens' `sid`). */
  readonly id: string
  /** The subject. */
  readonly sub: string
  /** When the session ends, in seconds since the epoch. */
  readonly expiresAt: number
  /** The client address, if it was given. */
  readonly ip: string | undefined
  /** The client's user agent, if it was given. */
  readonly userAgent: string | undefined
}

/** Message of `authx-ts:session:revoked`. */
export interface SessionRevokedEvent {
  /** The session id. */
  readonly id: string
  /** The subject, when the session was still stored. */
  readonly sub: string | undefined
}

/** Message of `authx-ts:rate-limit:hit`. */
export interface RateLimitHitEvent {
  /** The bucket (by default the route and the client address). */
  readonly key: string
  /** Requests counted in the window, this one included. */
  readonly count: number
  /** Requests allowed per window. */
  readonly max: number
  /** Seconds until the window resets (the `Retry-After` answered). */
  readonly retryAfter: number
}

/** Message of `authx-ts:store:unavailable`. */
export interface StoreUnavailableEvent {
  /** `store` for the configured store, `blocklist` for the application's blocklist callback. */
  readonly source: 'store' | 'blocklist'
  /** Internal detail (a full MemoryStore names its map), if any. */
  readonly reason: string | undefined
  /** The underlying failure (a Redis connection error...), if any. */
  readonly cause: unknown
}

/**
 * The part of a diagnostics channel the publishers use. Declared here rather than taken from
 * `node:diagnostics_channel`, so that this module's declarations do not need `@types/node`.
 */
export interface AuditChannel {
  /** Whether anyone listens: checked before a message is built. */
  readonly hasSubscribers: boolean
  /** Calls every subscriber with the message, synchronously. */
  publish(message: unknown): void
}

/** The channels, looked up once: a lookup per event would cost a map search each time. */
export const tokenIssuedChannel: AuditChannel = channel(AUDIT_CHANNELS.tokenIssued)
/** See {@link AUDIT_CHANNELS}. */
export const authenticationFailedChannel: AuditChannel = channel(
  AUDIT_CHANNELS.authenticationFailed,
)
/** See {@link AUDIT_CHANNELS}. */
export const tokenRefreshedChannel: AuditChannel = channel(AUDIT_CHANNELS.tokenRefreshed)
/** See {@link AUDIT_CHANNELS}. */
export const refreshReuseChannel: AuditChannel = channel(AUDIT_CHANNELS.refreshReuseDetected)
/** See {@link AUDIT_CHANNELS}. */
export const tokenRevokedChannel: AuditChannel = channel(AUDIT_CHANNELS.tokenRevoked)
/** See {@link AUDIT_CHANNELS}. */
export const sessionCreatedChannel: AuditChannel = channel(AUDIT_CHANNELS.sessionCreated)
/** See {@link AUDIT_CHANNELS}. */
export const sessionRevokedChannel: AuditChannel = channel(AUDIT_CHANNELS.sessionRevoked)
/** See {@link AUDIT_CHANNELS}. */
export const rateLimitHitChannel: AuditChannel = channel(AUDIT_CHANNELS.rateLimitHit)
/** See {@link AUDIT_CHANNELS}. */
export const storeUnavailableChannel: AuditChannel = channel(AUDIT_CHANNELS.storeUnavailable)

/**
 * The refusal last published for each request: one refusal passes through two layers that each
 * report it (the pipeline, then the guard that renders it) and must be counted once. Keyed by the
 * request, not the error alone, since a cached error (a key set that is down) may refuse many.
 */
const publishedFor = new WeakMap<object, unknown>()

/**
 * Publishes a refused authentication, if anyone listens, once per request. Called from `catch`
 * blocks only, so the passing path pays nothing at all.
 *
 * @param error - what was thrown; anything but an AuthX error (a bug, not a refusal) is ignored
 * @param operation - what was refused
 * @param request - the request's method and path, when there was a request
 */
export function publishAuthenticationFailed(
  error: unknown,
  operation: AuthenticationFailedEvent['operation'],
  request?: { readonly method: string; readonly path: string },
): void {
  if (!authenticationFailedChannel.hasSubscribers || !isAuthXError(error)) return
  if (request !== undefined) {
    if (publishedFor.get(request) === error) return
    publishedFor.set(request, error)
  }
  const event: AuthenticationFailedEvent = {
    error: error.name,
    code: error.code,
    statusCode: error.statusCode,
    reason: error.reason,
    operation,
    method: request?.method,
    path: request?.path,
  }
  authenticationFailedChannel.publish(event)
}

/**
 * Publishes a store failure, if anyone listens.
 *
 * @param source - the store or the blocklist
 * @param error - the StoreUnavailableError about to be thrown
 */
export function publishStoreUnavailable(
  source: StoreUnavailableEvent['source'],
  error: AuthXError,
): void {
  if (!storeUnavailableChannel.hasSubscribers) return
  const event: StoreUnavailableEvent = { source, reason: error.reason, cause: error.cause }
  storeUnavailableChannel.publish(event)
}
