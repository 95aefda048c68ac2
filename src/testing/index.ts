/**
 * `authx-ts/testing`: the test kit. Tokens of any type, scope, freshness, lifetime or age for an
 * AuthX instance, minted with its own configuration and no login route; the headers, JSON bodies,
 * query strings and cookie jars (with the CSRF header) that carry them in Fastify's
 * `app.inject`, supertest, Hono's `app.request`, a Fetch `Request` or Playwright; and a clock
 * the test moves by hand.
 *
 * For tests only: nothing in the package's other entries imports it.
 *
 * @example
 * ```ts
 * import { createTestClock, createTestKit } from 'authx-ts/testing'
 * const clock = createTestClock()
 * const auth = new AuthX({ secretKey, clock })
 * const kit = createTestKit(auth)
 * const res = await app.inject({ url: '/me', headers: kit.headers({ sub: 'alice' }) })
 * ```
 *
 * @packageDocumentation
 */
export { createTestClock } from './clock.ts'
export type { TestClock } from './clock.ts'
export { createTestKit } from './kit.ts'
export type { HasAuthXConfig, TestKit, TestTokenInput, TestTokenOptions } from './kit.ts'
export type { PlaywrightCookie, TestCookieJar } from './cookie-jar.ts'
