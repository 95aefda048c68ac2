/**
 * Rate limiting on the store: a fixed window per key (client address and matched route by
 * default), meant for `/login` and other credential endpoints. The answer is 429 with the real
 * time left in the window, not the whole window as AuthX reported.
 */
import { rateLimitHitChannel } from '../core/audit.ts'
import type { RateLimitHitEvent } from '../core/audit.ts'
import type { Engine } from '../core/engine.ts'
import { toBodilessView } from '../core/pipeline.ts'
import { callStore } from '../core/retention.ts'
import { RateLimitExceededError } from '../errors.ts'
import type { Duration } from '../internal/duration.ts'
import { parseDuration } from '../internal/duration.ts'
import { toWellFormed } from '../internal/well-formed.ts'
import type { RequestLike, RequestView } from '../types.ts'

/** Options of a rate limit. */
export interface RateLimitOptions {
  /** Requests allowed per window. */
  max: number
  /** Window length: seconds or `"1m"`-style. */
  window: Duration
  /**
   * The bucket a request counts against.
   * @defaultValue the matched route pattern (else the normalised path) and the client address:
   *   {@link defaultRateLimitKey}
   */
  key?: ((request: RequestView) => string | Promise<string>) | undefined
}

/** A validated rate limit. */
export interface ResolvedRateLimit {
  readonly max: number
  readonly windowSeconds: number
  readonly key: (request: RequestView) => string | Promise<string>
}

/** Runs of percent-escapes, decoded together so that a multi-byte UTF-8 character stays whole. */
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g

/**
 * The path as routers match it, so that the spellings of one route share one bucket: routers
 * decode percent-escapes (`/l%6Fgin` reaches `/login`), Express ignores case and a trailing slash
 * by default, and some routers merge repeated slashes. Folding more spellings together than a
 * given router does only makes the limit stricter, never looser.
 *
 * @param path - the request path, without the query string
 * @returns the path decoded, lower-cased, with repeated and trailing slashes removed
 */
export function normalizeRatePath(path: string): string {
  const decoded = path.replace(ESCAPES, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      // Not UTF-8: no router maps these bytes to another route's name, keep them as sent.
      return run
    }
  })
  const folded = decoded.toLowerCase().replace(/\/{2,}/g, '/')
  return folded.length > 1 && folded.endsWith('/') ? folded.slice(0, -1) : folded
}

/**
 * The part of a client address that one client controls. An IPv6 host is usually given a whole
 * /64 (2^64 addresses), so per-address buckets would let it change address on every request; it
 * is limited as its /64. IPv4-mapped IPv6 addresses count as the IPv4 address.
 *
 * @param ip - the client address as the adapter reports it
 * @returns an IPv4 address, an IPv6 /64 prefix (`2001:db8:0:1::/64`) or the input unchanged
 */
export function rateLimitClient(ip: string): string {
  const address = ip.toLowerCase()
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address)
  if (mapped !== null) return mapped[1]!
  if (!address.includes(':')) return address
  // Drop a zone (`fe80::1%eth0`), count a trailing dotted quad as the two groups it stands for,
  // and expand `::` to get the first four groups.
  const bare = address.split('%')[0]!.replace(/\d{1,3}(?:\.\d{1,3}){3}$/, '0:0')
  const halves = bare.split('::')
  if (halves.length > 2) return address
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : []
  const missing = 8 - head.length - tail.length
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return address
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail]
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return address
  const prefix = groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, ''))
  return `${prefix.join(':')}::/64`
}

/**
 * The default key: the route plus the client (`unknown` when the adapter cannot tell the
 * address), so that a client cannot get fresh buckets by respelling the path or, on IPv6, by
 * moving within its /64. The route is the pattern the framework matched (`/users/:id`, one bucket
 * for every user id, and for every spelling the router sends there: `/login#x`,
 * `http://host/login`, `/LOGIN` where the router ignores case...); without one (a middleware
 * mounted on a wildcard, a Fetch handler), the path folded by {@link normalizeRatePath}.
 *
 * @param request - the request view
 * @returns `<route pattern>|<client>`, or `<normalised path>|<client>`
 */
export function defaultRateLimitKey(request: RequestView): string {
  const client = request.ip === undefined ? 'unknown' : rateLimitClient(request.ip)
  const { route } = request
  const where = route === undefined || route === '' ? normalizeRatePath(request.path) : route
  // The client part is length-prefixed: both parts may contain `|` (a path always can; a client
  // address can where a proxy header is trusted), and no two (route, client) pairs may meet.
  return `${client.length}:${client}|${where}`
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

/** The store key prefix of every rate-limit bucket. */
const RATE_LIMIT_PREFIX = 'ratelimit:'

/**
 * Counts one request against a limit.
 *
 * @param engine - the instance's engine
 * @param request - a Fetch `Request` or a view
 * @param limit - from {@link resolveRateLimit}
 * @throws RateLimitExceededError (429) with the real seconds until the next slot
 */
export async function enforceRateLimit(
  engine: Engine,
  request: RequestLike,
  limit: ResolvedRateLimit,
): Promise<void> {
  const view = await toBodilessView(request)
  // A key built from request data may hold a lone surrogate: folding it to U+FFFD can only merge
  // buckets (a stricter limit), where refusing it would turn bad input into a 503.
  const key = `${RATE_LIMIT_PREFIX}${toWellFormed(await limit.key(view))}`
  const { config, store } = engine
  const hit = await callStore(() => store.hit(key, limit.windowSeconds, config.clock()))
  if (hit.count <= limit.max) return
  const error = new RateLimitExceededError(hit.resetIn)
  if (rateLimitHitChannel.hasSubscribers) {
    const event: RateLimitHitEvent = {
      key: key.slice(RATE_LIMIT_PREFIX.length),
      count: hit.count,
      max: limit.max,
      retryAfter: error.retryAfter,
    }
    rateLimitHitChannel.publish(event)
  }
  throw error
}
