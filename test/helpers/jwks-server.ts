/**
 * A real HTTP server on a free loopback port for the remote key set tests: it serves whatever a
 * test routes to a path (a JWK Set, a discovery document, a redirect, a body that never ends) and
 * counts every request by path, so a test asserts how many fetches the verifier made instead of
 * mocking `fetch`. Also the small key helpers those tests share: public JWKs of test keys and
 * tokens signed byte by byte with {@link forgeToken}.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KeyObject } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { forgeToken } from './forge.ts'
import type { ForgeAlgorithm } from './forge.ts'

/** Answers one request; the response may be left open (a slow endpoint). */
export type Route = (request: IncomingMessage, response: ServerResponse) => void

/** A running server and its probes. */
export interface JWKSServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string
  /**
   * The absolute URL of a path on this server.
   *
   * @param path - a path starting with `/`
   */
  url(path: string): string
  /**
   * Routes a path (its pathname, without the query) to a handler, replacing any earlier one.
   *
   * @param path - the path
   * @param handler - what answers it
   */
  route(path: string, handler: Route): void
  /**
   * Serves a JSON value with status 200 at a path.
   *
   * @param path - the path
   * @param value - the document
   */
  serveJSON(path: string, value: unknown): void
  /**
   * How many requests reached the server, on one path or on all of them.
   *
   * @param path - the path; every path when omitted
   */
  requests(path?: string): number
  /** Drops every connection (open responses included) and stops listening. */
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1, port 0 (a free one). Unrouted paths answer 404. */
export async function startJWKSServer(): Promise<JWKSServer> {
  const routes = new Map<string, Route>()
  const counts = new Map<string, number>()
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    counts.set(path, (counts.get(path) ?? 0) + 1)
    const handler = routes.get(path)
    if (handler === undefined) {
      response.writeHead(404).end()
      return
    }
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let closed = false
  return {
    origin,
    url: (path) => `${origin}${path}`,
    route: (path, handler) => {
      routes.set(path, handler)
    },
    serveJSON: (path, value) => {
      routes.set(path, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value))
      })
    },
    requests: (path) =>
      path === undefined
        ? [...counts.values()].reduce((sum, n) => sum + n, 0)
        : (counts.get(path) ?? 0),
    close: async () => {
      if (closed) return
      closed = true
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * The public JWK of a key, with the members a test adds (`kid`, `alg`, `use`...).
 *
 * @param key - a public or private key (its public half is exported)
 * @param members - members to add or override
 */
export function publicJWK(key: KeyObject, members: Record<string, unknown> = {}): object {
  const exported = key.export({ format: 'jwk' }) as Record<string, unknown>
  const publicOnly = Object.fromEntries(
    Object.entries(exported).filter(([name]) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(name)),
  )
  return { ...publicOnly, ...members }
}

/**
 * A token signed with `key` under `alg`, with `kid` (unless undefined) and extra header members.
 *
 * @param key - the signing key (a private key, or an HMAC secret)
 * @param alg - the algorithm, written in the header and used to sign
 * @param kid - the header's kid
 * @param claims - the payload
 * @param header - more header members (`typ`, `jku`...)
 */
export function signedToken(
  key: KeyObject | string | Uint8Array,
  alg: ForgeAlgorithm,
  kid: string | undefined,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  return forgeToken({
    header: { alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }), ...header },
    payload: claims,
    key,
    alg,
  })
}
