/**
 * Takes the screenshots of the quickstart's page and Swagger UI shown in
 * docs/quickstart-page.md: the Fastify quickstart on a free loopback port, Debian's Chromium
 * (the browser tests' launcher), the page signed out, signed in after a call to /me, and
 * Swagger UI's Authorize dialog and its call to GET /me. Run it after changing the page:
 * `npx tsx scripts/page-screenshots.ts`.
 */
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../examples/quickstart-fastify/app.ts'
import { launchChromium } from '../test/helpers/chromium.ts'

const OUT = fileURLToPath(new URL('../docs/images/', import.meta.url))

const app = await buildApp({ secretKey: 'screenshot-secret-of-at-least-32-bytes' })
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://localhost:${(app.server.address() as AddressInfo).port}`
const browser = await launchChromium({ viewport: { width: 900, height: 820 } })
try {
  const page = await browser.context.newPage()
  await page.goto(`${base}/`)
  await page.screenshot({ path: `${OUT}quickstart-page-signed-out.png` })

  await page.click('#login button[type=submit]')
  await page.waitForFunction(() => document.getElementById('who')?.textContent === 'user1')
  await page.screenshot({ path: `${OUT}quickstart-page-signed-in.png` })

  // Swagger UI: authorize with a bearer token from /login, then try GET /me.
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'user2', password: 'password2' }),
  })
  const { access_token: token } = (await login.json()) as { access_token: string }
  await browser.context.clearCookies()
  await page.goto(`${base}/docs`)
  await page.waitForSelector('#operations-default-get_me')
  await page.click('button.authorize')
  const bearer = page.locator('.auth-container').filter({ hasText: 'AuthXBearer' })
  await bearer.locator('#auth-bearer-value').fill(token)
  await page.locator('.modal-ux-content').evaluate((dialog) => dialog.scrollTo(0, 0))
  await page.screenshot({ path: `${OUT}quickstart-swagger-authorize.png` })
  await bearer.locator('button.authorize').click()
  await bearer.locator('button.btn-done').click()
  await page.click('#operations-default-get_me .opblock-summary')
  await page.click('#operations-default-get_me button.try-out__btn')
  await page.click('#operations-default-get_me button.execute')
  const result = page.locator('#operations-default-get_me .live-responses-table')
  await result.waitFor()
  await page.locator('#operations-default-get_me').screenshot({
    path: `${OUT}quickstart-swagger-me.png`,
  })
} finally {
  await browser.close()
  await app.close()
}
console.log(`screenshots written to ${OUT}`)
