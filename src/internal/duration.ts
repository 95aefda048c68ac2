/**
 * Durations in configuration and token options: a number is seconds, a string is a number
 * followed by a unit (`"90s"`, `"15m"`, `"2h"`, `"20d"`, `"1w"`), `null` means "never expires".
 */

/** A lifetime: seconds as a number, or a string such as `"15m"` or `"20d"`. */
export type Duration = number | string

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)?\s*$/

/**
 * Parses a duration into seconds, or returns `undefined` when it is not one.
 *
 * @param value - a number of seconds or a string like `"15m"`
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = PATTERN.exec(value)
  if (match === null) return undefined
  return Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1)
}
