/**
 * The quickstart's web page: three static files read once at start-up and served as they are (no
 * build step, no framework). The page logs in with HttpOnly cookies, calls /me, refreshes and logs
 * out; see `public/app.js`.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

/** The files of the page: URL path, file under `public/`, content type. */
const FILES = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
] as const

/**
 * Only the page's own files may run or style it, nothing may frame it, and forms may only post
 * back to the API: an injected script or a stray form action would have nowhere to go.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/**
 * Registers `GET /`, `/app.js` and `/style.css`.
 *
 * @param app - the quickstart app
 */
export function registerPage(app: FastifyInstance): void {
  for (const [path, file, type] of FILES) {
    const body = readFileSync(new URL(`public/${file}`, import.meta.url))
    // Hidden from the OpenAPI document: these are the page, not the API.
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      void reply
        .header('content-type', type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-cache')
      return body
    })
  }
}
