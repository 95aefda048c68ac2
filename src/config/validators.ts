/**
 * The checks option rows share. Each one names the option in its error message, so a bad
 * configuration says which option to fix and how.
 */
import { BadConfigurationError } from '../errors.ts'
import { parseDuration } from '../internal/duration.ts'
import type { Duration } from '../internal/duration.ts'
import type { Algorithm } from '../token/keys.ts'
import { ALGORITHMS, isAlgorithm } from '../token/keys.ts'
import type { HTTPMethod } from '../types.ts'

/** The methods a method list may name. */
export const METHODS: readonly HTTPMethod[] = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
]

/**
 * Throws the error of a configuration that cannot work.
 *
 * @param option - the option (or environment variable) at fault
 * @param message - what is wrong and how to fix it
 * @throws BadConfigurationError always, with the message `option: message`
 */
export function fail(option: string, message: string): never {
  throw new BadConfigurationError(`${option}: ${message}`)
}

/**
 * A token lifetime in seconds: `null` means no `exp`, `undefined` the default.
 *
 * @param option - the option name, for the error message
 * @param value - a duration, `null` or `undefined`
 * @param fallback - the lifetime when `value` is undefined
 * @throws BadConfigurationError when `value` is not a positive duration
 */
export function lifetime(
  option: string,
  value: Duration | null | undefined,
  fallback: number,
): number | null {
  if (value === null) return null
  if (value === undefined) return fallback
  const seconds = parseDuration(value)
  if (seconds === undefined || seconds <= 0) {
    fail(
      option,
      `expected a positive number of seconds, a string like "15m", or null; got ${String(value)}`,
    )
  }
  return seconds
}

/**
 * A string option, non-empty unless `allowEmpty`.
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @param fallback - the value when `value` is undefined
 * @param allowEmpty - whether `''` is a value
 * @throws BadConfigurationError when `value` is not a (non-empty) string
 */
export function stringOption(
  option: string,
  value: unknown,
  fallback: string,
  allowEmpty = false,
): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    fail(option, `expected a non-empty string, got ${JSON.stringify(value)}`)
  }
  return value
}

/** A grammar a string option must follow, and how the error message names it. */
export interface Grammar {
  readonly pattern: RegExp
  readonly what: string
}

/** An RFC 9110 token: what a header name or a cookie name may be. */
export const HTTP_TOKEN: Grammar = {
  pattern: /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
  what: "header or cookie name (letters, digits and !#$%&'*+.^_`|~-)",
}
/** A cookie path: starts with `/`, no control characters and no `;` (RFC 6265 section 4.1.1). */
export const COOKIE_PATH: Grammar = {
  pattern: /^\/[\x20-\x3A\x3C-\x7E]*$/,
  what: 'cookie path (starts with "/", no ";" or control characters)',
}
/** A cookie domain: letters, digits, dots and hyphens (the `cookie` package's own rule). */
export const COOKIE_DOMAIN: Grammar = {
  pattern: /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i,
  what: 'cookie domain (letters, digits, dots and hyphens)',
}

/**
 * A string option that ends up in a request or response header or a cookie attribute: checked at
 * startup against its grammar, so a typo fails here instead of as a 500 on the first request.
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @param fallback - the value when `value` is undefined
 * @param grammar - the grammar the string must follow
 * @throws BadConfigurationError when `value` is not a string of that grammar
 */
export function grammarOption(
  option: string,
  value: unknown,
  fallback: string,
  grammar: Grammar,
): string {
  const text = stringOption(option, value, fallback)
  if (!grammar.pattern.test(text))
    fail(option, `${JSON.stringify(text)} is not a valid ${grammar.what}`)
  return text
}

/**
 * A boolean option.
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @param fallback - the value when `value` is undefined
 * @throws BadConfigurationError when `value` is not a boolean
 */
export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean')
    fail(option, `expected true or false, got ${JSON.stringify(value)}`)
  return value
}

/**
 * A list of HTTP methods, upper-cased.
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @param fallback - the list when `value` is undefined
 * @throws BadConfigurationError when `value` is not an array of known methods
 */
export function methodList(
  option: string,
  value: unknown,
  fallback: readonly HTTPMethod[],
): HTTPMethod[] {
  if (value === undefined) return [...fallback]
  if (!Array.isArray(value)) fail(option, 'expected an array of HTTP methods')
  return value.map((m: unknown) => {
    const upper = typeof m === 'string' ? m.toUpperCase() : ''
    if (!(METHODS as readonly string[]).includes(upper)) {
      fail(option, `unknown method ${JSON.stringify(m)}; use one of ${METHODS.join(', ')}`)
    }
    return upper as HTTPMethod
  })
}

/**
 * A list of strings, empty by default.
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @throws BadConfigurationError when `value` is not an array of strings
 */
export function stringList(option: string, value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    fail(option, 'expected an array of strings')
  }
  return [...value]
}

/**
 * An audience: one string, a list of strings, or `null` (the default).
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @throws BadConfigurationError for anything else
 */
export function audienceOption(option: string, value: unknown): string | string[] | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return [...value]
  return fail(option, 'expected a string, an array of strings, or null')
}

/**
 * A supported algorithm.
 *
 * @param option - the option name, for the error message
 * @param value - the user's value
 * @param fallback - the algorithm when `value` is undefined
 * @throws BadConfigurationError for an unsupported algorithm, `none` included
 */
export function algorithmOption(option: string, value: unknown, fallback: Algorithm): Algorithm {
  if (value === undefined) return fallback
  if (!isAlgorithm(value)) {
    fail(
      option,
      `algorithm ${JSON.stringify(value)} is not supported; use one of ${ALGORITHMS.join(', ')}`,
    )
  }
  return value
}
