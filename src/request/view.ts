/**
 * `RequestView`: the little the core needs from a request (method, headers, cookies, query, body),
 * read lazily. Adapters build one from their framework's request without copying it into a Web
 * `Request`; {@link viewFromRequest} builds one from a Fetch `Request`.
 */
import { parse as parseCookies } from 'cookie'
import { readBodyCapped } from '../internal/body.ts'
import type { RequestView } from '../types.ts'

/**
 * Parses a `Cookie` header into a null-prototype record.
 *
 * @param header - the raw header, possibly absent
 */
export function parseCookieHeader(header: string | undefined): Record<string, string | undefined> {
  if (header === undefined || header === '') return Object.create(null) as Record<string, string>
  return parseCookies(header)
}

/**
 * Whether a `Content-Type` names JSON: `application/json` or any `+json` type, parameters such
 * as `; charset=utf-8` allowed (AuthX only took the exact string).
 *
 * @param contentType - the raw header
 */
export function isJSONContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const media = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase()
  return (
    media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'))
  )
}

/** Whether a `Content-Type` names a form. */
export function isFormContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const media = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase()
  return media === 'application/x-www-form-urlencoded' || media === 'multipart/form-data'
}

/**
 * Decodes the percent-escapes of a path the way routers do (find-my-way, Hono): as `decodeURI`
 * does, so escapes of reserved characters (`%2F`, `%3F`, `%23`...) stay escaped and a path
 * segment cannot be split or ended by decoding; `%25` stays `%25`, so decoding twice changes
 * nothing. A malformed escape leaves the path as it came.
 *
 * @param path - a path without query string
 */
export function decodeRequestPath(path: string): string {
  if (!path.includes('%')) return path
  try {
    return decodeURI(path.replace(/%25/g, '%2525'))
  } catch {
    return path
  }
}

/**
 * The path of an HTTP request target (RFC 9112 section 3.2), as a router takes it: the path of
 * the absolute form (`http://host/login`, sent to proxies and accepted by Node servers) rather
 * than the whole URL, cut at the query (`?`) and at a fragment (`#`, which no client sends but a
 * raw request line can carry), percent-escapes decoded with {@link decodeRequestPath}. The
 * asterisk form (`*`) and other targets that are not paths come back as they are.
 *
 * @param target - the raw request target, as Node's `req.url` holds it
 * @param semicolon - also cut at `;` (Fastify's `useSemicolonDelimiter`)
 * @returns the path, starting with `/` for every origin-form or absolute-form target
 */
export function requestTargetPath(target: string, semicolon = false): string {
  let path = target
  if (path.charCodeAt(0) !== 0x2f) {
    // Absolute form: scheme, `://`, authority; the path starts at the next `/`, `?` or `#`.
    const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(path)
    if (authority === null) return path
    path = path.slice(authority[0].length)
    if (path.charCodeAt(0) !== 0x2f) path = `/${path}`
  }
  let end = path.length
  for (let i = 1; i < path.length; i++) {
    const code = path.charCodeAt(i)
    if (code === 0x3f || code === 0x23 || (semicolon && code === 0x3b)) {
      end = i
      break
    }
  }
  return decodeRequestPath(end === path.length ? path : path.slice(0, end))
}

/** A `RequestView` over a Fetch `Request` whose body was read in advance (if it had one). */
class FetchRequestView implements RequestView {
  readonly method: string
  readonly path: string
  readonly #request: Request
  readonly #url: URL
  readonly #body: { json?: unknown; form?: unknown }
  #cookies: Record<string, string | undefined> | undefined

  constructor(request: Request, body: { json?: unknown; form?: unknown }) {
    this.#request = request
    this.#url = new URL(request.url)
    this.method = request.method.toUpperCase()
    // Decoded as routers decode it: `/l%6Fgin` is `/login` to every router that takes it.
    this.path = decodeRequestPath(this.#url.pathname)
    this.#body = body
  }

  header(name: string): string | undefined {
    return this.#request.headers.get(name) ?? undefined
  }

  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookieHeader(this.header('cookie'))
    return this.#cookies[name]
  }

  query(name: string): string | string[] | undefined {
    const values = this.#url.searchParams.getAll(name)
    if (values.length === 0) return undefined
    return values.length === 1 ? values[0] : values
  }

  json(): unknown {
    return this.#body.json
  }

  form(): unknown {
    return this.#body.form
  }
}

/**
 * Builds a `RequestView` from a Fetch `Request`. The body is read from a clone only when it is
 * JSON or a form and one of `readJSON`/`readForm` asks for it, so the handler can still read it.
 *
 * @param request - the Fetch request
 * @param want - which bodies the caller may need
 */
export async function viewFromRequest(
  request: Request,
  want: { json: boolean; form: boolean } = { json: true, form: false },
): Promise<RequestView> {
  const contentType = request.headers.get('content-type') ?? undefined
  const body: { json?: unknown; form?: unknown } = {}
  const readJSON = want.json && isJSONContentType(contentType)
  const readForm = !readJSON && want.form && isFormContentType(contentType)
  if (request.body !== null && (readJSON || readForm)) {
    try {
      const bytes = await readBodyCapped(request)
      if (bytes === undefined) {
        // Too large to be a token carrier: leave the body to the handler.
      } else if (readJSON) {
        body.json = JSON.parse(new TextDecoder().decode(bytes)) as unknown
      } else {
        const parsed = new Response(bytes, { headers: { 'content-type': contentType ?? '' } })
        body.form = Object.fromEntries(await parsed.formData())
      }
    } catch {
      // An unparsable body simply holds no token; the extractor reports it as missing.
    }
  }
  return new FetchRequestView(request, body)
}
