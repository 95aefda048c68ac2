/**
 * The test kit's Playwright cookies in a real browser (Debian's Chromium through playwright-core):
 * a page starts signed in without going through a login form, the browser keeps the cookies'
 * attributes (the token HttpOnly, the CSRF value readable), and the page's own fetch with the CSRF
 * header passes the guard while one without it is refused.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { AuthX } from '../../src/adapters/fastify.ts'
import { createTestKit } from '../../src/testing/index.ts'
import { launchChromium } from '../helpers/chromium.ts'
import type { Chromium } from '../helpers/chromium.ts'

const auth = new AuthX({
  secretKey: 'playwright-kit-secret-of-at-least-32-bytes',
  tokenLocation: ['cookies'],
})
const kit = createTestKit(auth)
const ran: string[] = []
let app: FastifyInstance
let base = ''
let browser: Chromium

before(async () => {
  app = Fastify()
  app.get('/', async (_request, reply) => reply.type('text/html').send('<!doctype html><p>app</p>'))
  app.get('/me', { preHandler: auth.accessTokenRequired }, async (request) => {
    ran.push('me')
    return { sub: auth.payload(request).sub }
  })
  app.post('/notes', { preHandler: auth.accessTokenRequired }, async (request) => {
    ran.push('notes')
    return { by: auth.payload(request).sub }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://localhost:${(app.server.address() as AddressInfo).port}`
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await app?.close()
})

void describe('authx-ts/testing with Playwright', () => {
  test('context.addCookies(jar.playwright(url)) signs the page in, CSRF included', async () => {
    const jar = kit.cookies({ access: { sub: 'jo' } })
    await browser.context.addCookies(jar.playwright(base))
    const stored = await browser.context.cookies(base)
    assert.deepEqual(stored.map((c) => [c.name, c.httpOnly, c.secure, c.sameSite, c.path]).sort(), [
      ['access_token_cookie', true, true, 'Lax', '/'],
      ['csrf_access_token', false, true, 'Lax', '/'],
    ])

    const page = await browser.context.newPage()
    const me = await page.goto(`${base}/me`)
    assert.equal(me?.status(), 200)
    assert.deepEqual(await me?.json(), { sub: 'jo' })

    await page.goto(`${base}/`)
    assert.equal(await page.evaluate(() => document.cookie), `csrf_access_token=${jar.csrf.access}`)
    const post = (withHeader: boolean) =>
      page.evaluate(async (send) => {
        const csrf = document.cookie.replace(/^.*csrf_access_token=([^;]*).*$/, '$1')
        const headers: Record<string, string> = send ? { 'X-CSRF-TOKEN': csrf } : {}
        const response = await fetch('/notes', { method: 'POST', headers })
        return { status: response.status, body: (await response.json()) as unknown }
      }, withHeader)
    ran.length = 0
    assert.deepEqual(await post(true), { status: 200, body: { by: 'jo' } })
    assert.deepEqual(await post(false), {
      status: 401,
      body: { detail: 'Missing CSRF token', error_type: 'MissingCSRFTokenError' },
    })
    assert.deepEqual(ran, ['notes'])
    await page.close()
  })
})
