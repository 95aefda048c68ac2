/**
 * Rate limiting on the store: a sliding or fixed window per key (client address and route by
 * default), meant for `/login` and other credential endpoints. The answer is 429 with the real
 * time left in the window, not the whole window as AuthX reported.
 */
import type { Duration } from '../internal/duration.ts'
import { parseDuration } from '../internal/duration.ts'
import type { RequestView } from '../request/view.ts'

/** Options of a rate limit. */
export interface RateLimitOptions {
  /** Requests allowed per window. */
  max: number
  /** Window length: seconds or `"1m"`-style. */
  window: Duration
  /**
   * The bucket a request counts against.
   * @defaultValue the route path and the client address
   */
  key?: ((request: RequestView) => string | Promise<string>) | undefined
}

/** A validated rate limit. */
export interface ResolvedRateLimit {
  readonly max: number
  readonly windowSeconds: number
  readonly key: (request: RequestView) => string | Promise<string>
}

/**
 * The default key: route path plus client address (`unknown` when the adapter cannot tell).
 *
 * @param request - the request view
 */
export function defaultRateLimitKey(request: RequestView): string {
  return `${request.path}|${request.ip ?? 'unknown'}`
}

/**
 * Validates rate-limit options eagerly, so a typo fails at start-up rather than per request.
 *
 * @param options - the options
 * @throws TypeError for a non-positive `max` or an unparsable `window`
 */
export function resolveRateLimit(options: RateLimitOptions): ResolvedRateLimit {
  if (!Number.isInteger(options.max) || options.max < 1)
    throw new TypeError('rate limit: max must be a positive integer')
  const windowSeconds = parseDuration(options.window)
  if (windowSeconds === undefined || windowSeconds <= 0) {
    throw new TypeError(
      'rate limit: window must be a positive number of seconds or a string like "1m"',
    )
  }
  const key = options.key ?? defaultRateLimitKey
  if (typeof key !== 'function') throw new TypeError('rate limit: key must be a function')
  return { max: options.max, windowSeconds, key }
}
