/**
 * Reading a token's parts without verifying it, and showing its times: `exp`, `iat` and `nbf` as
 * ISO dates next to the numbers, with how far from now they are. Shared by `decode` (which
 * verifies nothing) and `verify` (which shows what it verified).
 *
 * @packageDocumentation
 */
import { UsageError } from './io.ts'

/** The header and claims of a compact JWS, as JSON objects. */
export interface TokenParts {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
}

/** The claims holding times, in seconds since the epoch (RFC 7519 section 4.1). */
export const TIME_CLAIMS = ['iat', 'nbf', 'exp'] as const

const SEGMENT = /^[A-Za-z0-9_-]*$/

function part(segment: string, what: string): Record<string, unknown> {
  if (!SEGMENT.test(segment) || segment === '') {
    throw new UsageError(`not a JWT: the ${what} is not base64url`)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    throw new UsageError(`not a JWT: the ${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`not a JWT: the ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Splits and decodes a compact JWS, checking nothing but its shape.
 *
 * @param token - the token
 * @throws UsageError when it is not three base64url segments with JSON object header and claims
 */
export function decodeParts(token: string): TokenParts {
  const segments = token.split('.')
  if (segments.length === 5) {
    throw new UsageError(
      'an encrypted token (JWE, five segments): its claims cannot be read without its key',
    )
  }
  if (segments.length !== 3) {
    throw new UsageError(
      `not a JWT: expected three segments separated by dots, got ${segments.length}`,
    )
  }
  return {
    header: part(segments[0] as string, 'header'),
    claims: part(segments[1] as string, 'payload'),
  }
}

/** The largest time a JavaScript date holds, in seconds (ECMA-262 section 21.4.1.22). */
const MAX_DATE_SECONDS = 8.64e12

/**
 * A time claim as an ISO date, or why it is not one.
 *
 * @param value - the claim's value
 */
export function isoDate(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'not a number of seconds'
  if (Math.abs(value) > MAX_DATE_SECONDS) return 'out of range'
  return new Date(value * 1000).toISOString()
}

/** A duration in words, rounded to its largest unit or two. */
function span(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ]
  const parts: string[] = []
  let rest = Math.round(seconds)
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }
  return parts.length === 0 ? '0s' : parts.join(' ')
}

/**
 * The lines that show each time claim a token has: name, number, ISO date and distance from now
 * (`expired 3m ago` for a past `exp`).
 *
 * @param claims - the claims
 * @param now - seconds since the epoch
 */
export function timeLines(claims: Record<string, unknown>, now: number): string[] {
  return TIME_CLAIMS.filter((name) => claims[name] !== undefined).map((name) => {
    const value = claims[name]
    const date = isoDate(value)
    if (!date.includes('T')) return `  ${name}  ${JSON.stringify(value)}  (${date})`
    const delta = (value as number) - now
    const when = delta >= 0 ? `in ${span(delta)}` : `${span(-delta)} ago`
    const note =
      name === 'exp' && delta < 0
        ? `expired ${when}`
        : name === 'nbf' && delta > 0
          ? `not valid before, ${when}`
          : when
    return `  ${name}  ${String(value)}  ${date}  (${note})`
  })
}

/**
 * The ISO dates of the time claims a token has, for JSON output.
 *
 * @param claims - the claims
 */
export function timeDates(claims: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    TIME_CLAIMS.filter((name) => claims[name] !== undefined).map((name) => [
      name,
      isoDate(claims[name]),
    ]),
  )
}
