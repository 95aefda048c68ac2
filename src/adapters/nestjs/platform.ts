/**
 * What differs between NestJS's two HTTP platforms, `@nestjs/platform-express` and
 * `@nestjs/platform-fastify`: the request a guard receives (an Express `req`, which is Node's
 * request, or a Fastify request wrapping it) and the response it answers on (an Express `res`,
 * or a Fastify reply wrapping Node's). Told apart by shape, so neither platform is imported.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  isFormContentType,
  isJSONContentType,
  parseCookieHeader,
  requestTargetPath,
} from '../../request/view.ts'
import type { RequestView } from '../../types.ts'
import { nodeHeader } from '../node/view.ts'

/** A request of either platform, as NestJS hands it to guards and handlers. */
export type PlatformRequest = object

/** A response of either platform (what `@Res({ passthrough: true })` gives a handler). */
export type PlatformReply = object

/** The members of a Fastify request this module reads. */
interface FastifyRequestLike {
  raw: IncomingMessage
  url: string
  routeOptions?: { url?: string }
}

/** The members of a Fastify reply this module uses. */
interface FastifyReplyLike {
  raw: ServerResponse
  code(status: number): FastifyReplyLike
  header(name: string, value: string): FastifyReplyLike
  send(body: unknown): unknown
}

/**
 * Whether a request is a Fastify request: it wraps Node's request in `raw`, where an Express
 * `req` is Node's request itself.
 *
 * @param request - a request of either platform
 */
export function isFastifyRequest(request: PlatformRequest): request is FastifyRequestLike {
  const raw = (request as { raw?: unknown }).raw
  return typeof raw === 'object' && raw !== null && 'headers' in raw
}

/**
 * Whether a response is a Fastify reply (it wraps Node's response in `raw` and has `code`).
 *
 * @param reply - a response of either platform
 */
export function isFastifyReply(reply: PlatformReply): reply is FastifyReplyLike {
  return (
    typeof (reply as { code?: unknown }).code === 'function' &&
    typeof (reply as { raw?: unknown }).raw === 'object'
  )
}

/** Node's request under a request of either platform. */
export function rawRequest(request: PlatformRequest): IncomingMessage {
  return isFastifyRequest(request) ? request.raw : (request as IncomingMessage)
}

/** Node's response under a response of either platform. */
export function rawReply(reply: PlatformReply): ServerResponse {
  return isFastifyReply(reply) ? reply.raw : (reply as ServerResponse)
}

/**
 * Sets one header on a response of either platform.
 *
 * @param reply - the response
 * @param name - the header name
 * @param value - its value
 */
export function setReplyHeader(reply: PlatformReply, name: string, value: string): void {
  if (isFastifyReply(reply)) void reply.header(name, value)
  else (reply as ServerResponse).setHeader(name, value)
}

/**
 * Appends one Set-Cookie header, keeping those already on the response.
 *
 * @param reply - a response of either platform
 * @param header - the Set-Cookie value
 */
export function appendReplyCookie(reply: PlatformReply, header: string): void {
  // Fastify appends a repeated set-cookie instead of replacing it; Node's appendHeader does too.
  if (isFastifyReply(reply)) void reply.header('set-cookie', header)
  else (reply as ServerResponse).appendHeader('set-cookie', header)
}

/**
 * Sends a JSON response on either platform.
 *
 * @param reply - the response
 * @param status - the status code
 * @param body - the JSON body
 */
export function sendReplyJSON(reply: PlatformReply, status: number, body: unknown): void {
  if (isFastifyReply(reply)) {
    void reply.code(status).send(body)
    return
  }
  const res = reply as ServerResponse & { status?: (code: number) => { json(body: unknown): void } }
  // Express's res.json; a bare Node response otherwise.
  if (typeof res.status === 'function') {
    res.status(status).json(body)
    return
  }
  res.statusCode = status
  res.end(JSON.stringify(body))
}

/**
 * The core's view of a NestJS request on either platform. NestJS parses JSON and urlencoded
 * bodies and the query on both, so the view reads what the platform parsed.
 */
export class NestRequestView implements RequestView {
  readonly method: string
  readonly #request: Record<string, unknown>
  readonly #raw: IncomingMessage
  readonly #fastify: boolean
  #cookies: Record<string, unknown> | undefined
  #query: Record<string, unknown> | undefined

  /** @param request - the platform's request */
  constructor(request: PlatformRequest) {
    this.#request = request as Record<string, unknown>
    this.#fastify = isFastifyRequest(request)
    this.#raw = rawRequest(request)
    // The request line's method: method-override keeps it in `originalMethod` on Express.
    const original = this.#request.originalMethod
    this.method = (
      typeof original === 'string' ? original : (this.#raw.method ?? 'GET')
    ).toUpperCase()
  }

  get path(): string {
    // Express rewrites `req.url` under mounted routers and keeps the target in `originalUrl`.
    const original = this.#request.originalUrl
    return requestTargetPath(typeof original === 'string' ? original : (this.#raw.url ?? '/'))
  }

  get route(): string | undefined {
    const pattern = this.#fastify
      ? (this.#request as unknown as FastifyRequestLike).routeOptions?.url
      : (this.#request.route as { path?: unknown } | undefined)?.path
    return typeof pattern === 'string' ? pattern : undefined
  }

  get ip(): string | undefined {
    // Both platforms apply their trust-proxy setting to `ip`.
    const ip = this.#request.ip
    return typeof ip === 'string' ? ip : this.#raw.socket.remoteAddress
  }

  header(name: string): string | undefined {
    return nodeHeader(this.#raw.headers, name)
  }

  cookie(name: string): string | undefined {
    // cookie-parser's or @fastify/cookie's result when the app uses one; the header otherwise.
    const parsed = this.#request.cookies
    this.#cookies ??=
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)
        : parseCookieHeader(this.header('cookie'))
    const value = Object.hasOwn(this.#cookies, name) ? this.#cookies[name] : undefined
    return typeof value === 'string' ? value : undefined
  }

  query(name: string): string | string[] | undefined {
    // Express 5 re-parses the query string on every `req.query` read: read it once.
    this.#query ??= this.#request.query as Record<string, unknown> | undefined
    const query = this.#query
    if (query === undefined || query === null || !Object.hasOwn(query, name)) return undefined
    const value = query[name]
    if (typeof value === 'string') return value
    // An extended parser can nest objects; only strings can be tokens.
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : ''))
    return undefined
  }

  json(): unknown {
    return isJSONContentType(this.header('content-type')) ? this.#request.body : undefined
  }

  form(): unknown {
    return isFormContentType(this.header('content-type')) ? this.#request.body : undefined
  }
}
