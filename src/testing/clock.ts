/**
 * A clock a test moves by hand. Pass it as the `clock` option of `AuthX` (and of a `MemoryStore`
 * you build yourself): expiry, `nbf`, freshness windows, rate-limit windows and the embedded
 * store's TTLs then follow it instead of the wall clock, with no timer mocked.
 *
 * @packageDocumentation
 */
import { parseDuration } from '../internal/duration.ts'
import type { Duration } from '../internal/duration.ts'
import type { Clock } from '../types.ts'

/** A {@link Clock} the test sets and advances. Calling it returns the current time in seconds. */
export interface TestClock extends Clock {
  /** The current time, in seconds since the epoch. */
  now(): number
  /**
   * Moves the clock to an instant.
   *
   * @param time - seconds since the epoch, or a `Date`
   */
  set(time: number | Date): void
  /**
   * Moves the clock forward (or back, with a negative number).
   *
   * @param by - seconds, or a duration such as `"15m"`
   */
  advance(by: Duration): void
}

/** The clocks {@link createTestClock} made: the kit may move them for an instant. */
const TEST_CLOCKS = new WeakSet<object>()

/**
 * Whether a clock was made by {@link createTestClock}.
 *
 * @param clock - any clock
 */
export function isTestClock(clock: unknown): clock is TestClock {
  return typeof clock === 'function' && TEST_CLOCKS.has(clock)
}

function toSeconds(time: number | Date, what: string): number {
  const seconds = time instanceof Date ? time.getTime() / 1000 : time
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    throw new TypeError(`${what}: expected seconds since the epoch or a valid Date`)
  return seconds
}

/**
 * Creates a clock that only moves when the test moves it.
 *
 * @param start - the initial time, in seconds since the epoch or as a `Date`
 * @defaultValue start - the wall clock's time now, in whole seconds
 * @throws TypeError when `start` is not a finite number or a valid `Date`
 *
 * @example An access token expires after 15 minutes
 * ```ts
 * const clock = createTestClock()
 * const auth = new AuthX({ secretKey, clock, accessTokenExpires: '15m' })
 * const token = auth.createAccessToken('user1')
 * clock.advance('15m')
 * clock.advance(1)
 * await auth.verifyToken(token) // rejects with TokenExpiredError
 * ```
 */
export function createTestClock(start: number | Date = Math.floor(Date.now() / 1000)): TestClock {
  let current = toSeconds(start, 'createTestClock')
  const clock = (): number => current
  TEST_CLOCKS.add(clock)
  return Object.assign(clock, {
    now: clock,
    set(time: number | Date): void {
      current = toSeconds(time, 'clock.set')
    },
    advance(by: Duration): void {
      const seconds = parseDuration(by)
      if (seconds === undefined)
        throw new TypeError('clock.advance: expected seconds or a duration such as "15m"')
      current += seconds
    },
  })
}
