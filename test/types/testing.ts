/**
 * `authx-ts/testing` fits what it feeds: the kit takes any binding's `AuthX` or its config, its
 * clock is an `AuthXOptions['clock']`, and its jar's outputs are what Fastify's `inject`,
 * supertest, Hono's `app.request` and Playwright's `addCookies` declare they take. Compile-only.
 *
 * @packageDocumentation
 */
import type { AuthXOptions } from 'authx-ts'
import { AuthX } from 'authx-ts'
import { AuthX as ExpressAuthX } from 'authx-ts/express'
import { AuthX as FastifyAuthX } from 'authx-ts/fastify'
import { AuthX as HonoAuthX } from 'authx-ts/hono'
import { createTestClock, createTestKit } from 'authx-ts/testing'
import type { PlaywrightCookie, TestClock, TestCookieJar, TestKit } from 'authx-ts/testing'
import type { InjectOptions } from 'fastify'
import type { BrowserContext } from 'playwright-core'
import type { Test } from 'supertest'
import type { Expect } from './helpers.ts'

declare const options: AuthXOptions

/** Every binding's instance, and a config, make a kit. */
export const kits: TestKit[] = [
  createTestKit(new AuthX(options)),
  createTestKit(new FastifyAuthX(options)),
  createTestKit(new ExpressAuthX(options)),
  createTestKit(new HonoAuthX(options)),
  createTestKit(new AuthX(options).config),
]

/** The clock is the option's type. */
export type ClockFits = Expect<TestClock extends NonNullable<AuthXOptions['clock']> ? true : false>

declare const jar: TestCookieJar
declare const kit: TestKit

/** Fastify's inject takes the cookies object and the headers as they are. */
export const injected: InjectOptions = {
  url: '/',
  cookies: jar.cookies,
  headers: { ...jar.headers(), ...kit.headers() },
}

/** supertest's `.set(...)` takes the header objects. */
export const supertestSet = (test: Test): Test =>
  test.set(kit.headers()).set(jar.headers('refresh'))

/** Hono's `app.request` and Fetch take them as `HeadersInit`. */
export const init: RequestInit = { headers: jar.headers() }

/** Playwright's `addCookies` takes the jar's entries. */
export type PlaywrightFits = Expect<
  PlaywrightCookie[] extends Parameters<BrowserContext['addCookies']>[0] ? true : false
>

/** The clock is callable as the option is. */
export const now: number = createTestClock()()
