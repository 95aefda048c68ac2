/**
 * The core's view of a raw Node `IncomingMessage`, for any Node framework (Express, Koa, plain
 * `node:http`) and for requests no framework sees, such as a server's `'upgrade'` event.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { parseCookieHeader, requestTargetPath } from '../../request/view.ts'
import type { RequestView } from '../../types.ts'

/**
 * One header of a Node request as a string: Node keeps a repeated header as an array (for the
 * few it does not join itself), which reads as one comma-separated value.
 *
 * @param headers - the request's headers (lower-case names)
 * @param name - a lower-case header name
 */
export function nodeHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The core's view of a raw Node request: no framework parsed its path, query or body, so they
 * come from `req.url`, and it has no body (an upgrade request has none to read).
 */
export class NodeRequestView implements RequestView {
  readonly method: string
  readonly path: string
  readonly #req: IncomingMessage
  readonly #search: string
  #query: URLSearchParams | undefined
  #cookies: Record<string, string | undefined> | undefined

  /** @param req - the raw Node request */
  constructor(req: IncomingMessage) {
    this.#req = req
    this.method = (req.method ?? 'GET').toUpperCase()
    const url = req.url ?? '/'
    // The raw request target: a fragment or an absolute form is not part of the path.
    this.path = requestTargetPath(url)
    const q = url.indexOf('?')
    const hash = url.indexOf('#')
    this.#search =
      q === -1 || (hash !== -1 && hash < q) ? '' : url.slice(q + 1, hash === -1 ? undefined : hash)
  }

  /** The socket's peer address. */
  get ip(): string | undefined {
    return this.#req.socket.remoteAddress
  }

  /** @param name - a lower-case header name */
  header(name: string): string | undefined {
    return nodeHeader(this.#req.headers, name)
  }

  /** @param name - a cookie name, from the `Cookie` header */
  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookieHeader(this.header('cookie'))
    return this.#cookies[name]
  }

  /** @param name - a query parameter; a repeated one stays an array, refused as ambiguous */
  query(name: string): string | string[] | undefined {
    this.#query ??= new URLSearchParams(this.#search)
    const values = this.#query.getAll(name)
    if (values.length === 0) return undefined
    return values.length === 1 ? values[0] : values
  }

  /** No body: an upgrade request has none to read. */
  json(): unknown {
    return undefined
  }

  /** No body. */
  form(): unknown {
    return undefined
  }
}
