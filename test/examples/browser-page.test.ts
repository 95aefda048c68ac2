/**
 * The quickstart's web page and Swagger UI in a real browser: Debian's Chromium driven by
 * playwright-core against the Fastify quickstart listening on loopback. The page flow end to end
 * (log in with cookies, call /me, refresh, log out), the cookies as the browser stores them, a
 * second site attacking with a form POST and credentialed fetches, and Swagger UI's Authorize
 * button. Without chromium the suite fails, naming the package to install.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Cookie, Page, Response } from 'playwright-core'
import { buildApp } from '../../examples/quickstart-fastify/app.ts'
import { launchChromium } from '../helpers/chromium.ts'
import type { Chromium } from '../helpers/chromium.ts'

const SECRET = 'browser-page-test-secret-of-32-bytes-at-least'

/** What the API received: method, path, the Cookie header (if any) and the status it answered. */
interface Seen {
  readonly method: string
  readonly path: string
  readonly cookie: string | undefined
  readonly status: number
}

/**
 * The API is opened as `localhost` and the attacker's pages as `127.0.0.1`. Cookies ignore ports,
 * and SameSite compares *sites* (scheme and registrable domain, ports ignored), so a second port
 * on the same host would be same-site: the browser would attach the SameSite=Lax cookies and only
 * the CSRF header would stand in the way. `localhost` and `127.0.0.1` are different hosts, hence
 * different sites (and origins) for cookies, SameSite and CORS alike, while both stay on loopback
 * (no Private Network Access prompt) and both count as secure contexts, so `Secure` cookies over
 * plain HTTP are kept as on a deployed HTTPS site.
 */
const API_HOST = 'localhost'
const ATTACKER_HOST = '127.0.0.1'

let app: FastifyInstance
let api = ''
let attacker: Server
let attackerOrigin = ''
let browser: Chromium
let seen: Seen[] = []

/** The attacker's pages, each aimed at the API. */
function attackerPage(path: string): string {
  if (path === '/form') {
    // A classic cross-site form POST; text/plain because Fastify parses it (an urlencoded body
    // would be refused with 415 before authentication had its say).
    return `<!doctype html><title>win a prize</title>
<form method="POST" action="${api}/session/refresh" enctype="text/plain">
<input type="hidden" name='{"a":"' value='b"}'></form>
<script>document.forms[0].submit()</script>`
  }
  // Credentialed fetches: a simple GET, and a DELETE with a guessed CSRF header (which needs a
  // CORS preflight the API never grants).
  return `<!doctype html><title>nothing to see</title><script type="module">
const outcome = async (promise) => {
  try { return 'status ' + (await promise).status } catch (error) { return error.name }
}
window.attack = {
  me: await outcome(fetch('${api}/me', { credentials: 'include' })),
  logout: await outcome(fetch('${api}/session', {
    method: 'DELETE', credentials: 'include', headers: { 'X-CSRF-TOKEN': 'guess' },
  })),
}
</script>`
}

before(async () => {
  app = await buildApp({ secretKey: SECRET })
  // Observation only: what reached the server, and with which cookies. Recorded in onSend,
  // before the answer leaves, so it is there by the time the browser has it. The tab icon the
  // browser asks for on its own is not part of any scenario.
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0] as string
    if (path !== '/favicon.ico')
      seen.push({
        method: request.method,
        path,
        cookie: request.headers.cookie,
        status: reply.statusCode,
      })
    return payload
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  api = `http://${API_HOST}:${(app.server.address() as AddressInfo).port}`

  attacker = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    response.end(attackerPage(request.url ?? '/'))
  })
  attacker.listen(0, ATTACKER_HOST)
  await once(attacker, 'listening')
  attackerOrigin = `http://${ATTACKER_HOST}:${(attacker.address() as AddressInfo).port}`

  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  attacker?.close()
  await app?.close()
})

/** Clicks and resolves with the API's response to `method path`. */
async function clickFor(page: Page, selector: string, method: string, path: string) {
  const [response] = await Promise.all([
    page.waitForResponse(
      (r: Response) => r.request().method() === method && new URL(r.url()).pathname === path,
    ),
    page.click(selector),
  ])
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> }
}

/** The API's cookies in the browser's jar, by name. */
async function apiCookies(): Promise<Map<string, Cookie>> {
  const all = await browser.context.cookies()
  return new Map(all.filter((c) => c.domain === API_HOST).map((c) => [c.name, c]))
}

/** Logs in through the page and waits until it shows the user. */
async function logIn(page: Page): Promise<void> {
  await page.goto(`${api}/`)
  const login = await clickFor(page, '#login button[type=submit]', 'POST', '/session')
  assert.equal(login.status, 200)
  assert.deepEqual(login.body, { detail: 'Logged in' })
  await page.waitForFunction(() => document.getElementById('who')?.textContent === 'user1')
}

/** Runs `fetch` in the page (same origin, the browser's cookies) and returns status and JSON. */
async function fetchInPage(
  page: Page,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return page.evaluate(
    async ([m, p, h]) => {
      const response = await fetch(p, { method: m, headers: h, credentials: 'same-origin' })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    },
    [method, path, headers] as const,
  )
}

void describe('the quickstart page in Chromium', () => {
  test('logs in with cookies, calls /me, refreshes and logs out', async () => {
    const page = await browser.context.newPage()
    await logIn(page)
    assert.equal(await page.textContent('#status'), 'GET /me → 200')
    assert.deepEqual(JSON.parse((await page.textContent('#output')) ?? ''), {
      user_id: 'user1',
      email: 'user1@example.com',
    })

    // The cookies as Chromium stored them.
    const cookies = await apiCookies()
    assert.deepEqual([...cookies.keys()].sort(), [
      'access_token_cookie',
      'csrf_access_token',
      'csrf_refresh_token',
      'refresh_token_cookie',
    ])
    const attributes = (c: Cookie | undefined) =>
      c && { httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite, path: c.path }
    const lax = { secure: true, sameSite: 'Lax' }
    assert.deepEqual(attributes(cookies.get('access_token_cookie')), {
      ...lax,
      httpOnly: true,
      path: '/',
    })
    assert.deepEqual(attributes(cookies.get('refresh_token_cookie')), {
      ...lax,
      httpOnly: true,
      path: '/session',
    })
    for (const name of ['csrf_access_token', 'csrf_refresh_token'])
      assert.deepEqual(attributes(cookies.get(name)), { ...lax, httpOnly: false, path: '/' })

    // The page's script sees the CSRF values and nothing else.
    const visible = await page.evaluate(() => document.cookie)
    assert.deepEqual(
      visible
        .split('; ')
        .map((pair) => pair.split('=')[0])
        .sort(),
      ['csrf_access_token', 'csrf_refresh_token'],
    )
    assert.doesNotMatch(visible, /eyJ/)
    assert.equal(await page.textContent('#cookies'), visible)

    // Refresh: new cookies, the old refresh token is spent.
    const before = cookies
    const refreshed = await clickFor(page, '#refresh', 'POST', '/session/refresh')
    assert.deepEqual(refreshed, { status: 200, body: { detail: 'Refreshed' } })
    const after = await apiCookies()
    for (const name of before.keys())
      assert.notEqual(after.get(name)?.value, before.get(name)?.value, `${name} was replaced`)
    const me = await clickFor(page, '#call-me', 'GET', '/me')
    assert.deepEqual(me, { status: 200, body: { user_id: 'user1', email: 'user1@example.com' } })

    // Log out: every auth cookie is gone and the page shows the form again.
    const loggedOut = await clickFor(page, '#logout', 'DELETE', '/session')
    assert.deepEqual(loggedOut, { status: 200, body: { detail: 'Logged out' } })
    assert.deepEqual([...(await apiCookies()).keys()], [])
    assert.equal(await page.evaluate(() => document.cookie), '')
    assert.equal(await page.isVisible('#login'), true)
    assert.equal(await page.isHidden('#signed-in'), true)

    // A copy of the cookies kept from before the logout opens nothing: both tokens are revoked.
    await browser.context.addCookies([...after.values()])
    const replayMe = await fetchInPage(page, 'GET', '/me')
    assert.equal(replayMe.status, 401)
    assert.equal(replayMe.body.error_type, 'RevokedTokenError')
    const replayRefresh = await fetchInPage(page, 'POST', '/session/refresh', {
      'X-CSRF-TOKEN': after.get('csrf_refresh_token')?.value ?? '',
    })
    assert.equal(replayRefresh.status, 401)
    assert.equal(replayRefresh.body.error_type, 'RevokedTokenError')
    await browser.context.clearCookies()
    await page.close()
  })

  test('the CSRF header is what lets a cookie request through, even from the same site', async () => {
    const page = await browser.context.newPage()
    await logIn(page)
    const before = await apiCookies()
    seen = []

    const missing = await fetchInPage(page, 'POST', '/session/refresh')
    assert.deepEqual(missing, {
      status: 401,
      body: { detail: 'Missing CSRF token', error_type: 'MissingCSRFTokenError' },
    })
    const wrong = await fetchInPage(page, 'POST', '/session/refresh', { 'X-CSRF-TOKEN': 'guess' })
    assert.deepEqual(wrong, {
      status: 401,
      body: { detail: 'CSRF double submit does not match', error_type: 'CSRFError' },
    })
    // The access token's CSRF value does not open the refresh route: each token has its own.
    const crossed = await fetchInPage(page, 'POST', '/session/refresh', {
      'X-CSRF-TOKEN': before.get('csrf_access_token')?.value ?? '',
    })
    assert.equal(crossed.status, 401)
    assert.equal(crossed.body.error_type, 'CSRFError')
    const logout = await fetchInPage(page, 'DELETE', '/session')
    assert.equal(logout.status, 401)
    assert.equal(logout.body.error_type, 'MissingCSRFTokenError')

    // The cookies were sent every time, and nothing was rotated or deleted.
    assert.equal(seen.length, 4)
    for (const request of seen) {
      assert.match(request.cookie ?? '', /(^|; )access_token_cookie=ey/)
      assert.match(request.cookie ?? '', /(^|; )refresh_token_cookie=ey/, 'Path=/session covers it')
    }
    assert.deepEqual(await apiCookies(), before)
    await browser.context.clearCookies()
    await page.close()
  })

  test('another site cannot use the session: form POST and credentialed fetches are refused', async () => {
    const page = await browser.context.newPage()
    await logIn(page)
    const before = await apiCookies()

    // The form POST: the browser navigates to the API's answer, sent without any cookie
    // (SameSite=Lax keeps them off a cross-site POST), so the route finds no token at all.
    seen = []
    await page.goto(`${attackerOrigin}/form`)
    await page.waitForURL(`${api}/session/refresh`)
    assert.deepEqual(JSON.parse((await page.textContent('body')) ?? ''), {
      detail: 'Missing JWT in request',
      error_type: 'MissingTokenError',
    })
    assert.deepEqual(seen, [
      { method: 'POST', path: '/session/refresh', cookie: undefined, status: 401 },
    ])

    // The fetches: the GET reaches the API without cookies and its answer stays unreadable (no
    // CORS grant); the DELETE never leaves the browser, its preflight being refused.
    seen = []
    await page.goto(`${attackerOrigin}/fetch`)
    const outcome = await page.waitForFunction(
      () => (window as unknown as { attack?: unknown }).attack,
    )
    assert.deepEqual(await outcome.jsonValue(), { me: 'TypeError', logout: 'TypeError' })
    assert.deepEqual(
      seen.filter((s) => s.method !== 'OPTIONS'),
      [{ method: 'GET', path: '/me', cookie: undefined, status: 401 }],
    )
    // The preflight came (without credentials, as preflights always do) and was not granted.
    const preflight = seen.filter((s) => s.method === 'OPTIONS')
    assert.deepEqual(
      preflight.map((s) => [s.path, s.cookie]),
      [['/session', undefined]],
    )

    // The session is intact: same cookies, and the page still works.
    assert.deepEqual(await apiCookies(), before)
    await page.goto(`${api}/`)
    await page.waitForFunction(() => document.getElementById('who')?.textContent === 'user1')
    await browser.context.clearCookies()
    await page.close()
  })

  test('Swagger UI at /docs: the Authorize button sends the bearer token', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${api}/docs`)
    await page.waitForSelector('#operations-default-get_me')

    const execute = async () => {
      const [response] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/me'),
        page.click('#operations-default-get_me button.execute'),
      ])
      return {
        status: response.status(),
        authorization: response.request().headers().authorization,
      }
    }
    await page.click('#operations-default-get_me .opblock-summary')
    await page.click('#operations-default-get_me button.try-out__btn')
    const anonymous = await execute()
    assert.deepEqual(anonymous, { status: 401, authorization: undefined })

    const login = await fetch(`${api}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'user2', password: 'password2' }),
    })
    const { access_token: token } = (await login.json()) as { access_token: string }
    await page.click('button.authorize')
    const bearer = page.locator('.auth-container').filter({ hasText: 'AuthXBearer' })
    await bearer.locator('#auth-bearer-value').fill(token)
    await bearer.locator('button.authorize').click()
    await bearer.locator('button.btn-done').click()

    const authorized = await execute()
    assert.deepEqual(authorized, { status: 200, authorization: `Bearer ${token}` })
    const body = await page.textContent('#operations-default-get_me .live-responses-table')
    assert.match(body ?? '', /user2@example\.com/)
    await page.close()
  })
})
