/**
 * The shared vocabulary of every layer: what a token is, where it is found, what a request looks
 * like to the core, and what a clock is. It imports nothing, so any module may import it.
 *
 * @packageDocumentation
 */

/** The kinds of token. */
export type TokenType = 'access' | 'refresh'

/** Where a token may be found in a request. */
export type TokenLocation = 'headers' | 'cookies' | 'json' | 'query'

/** HTTP methods accepted in method lists. */
export type HTTPMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH'

/** The current time in seconds since the epoch (fractions allowed). */
export type Clock = () => number

/** The core's view of an HTTP request. Every accessor is lazy and may be called repeatedly. */
export interface RequestView {
  /**
   * The method of the request line, upper-cased: never one a method-override middleware put in
   * its place, so the CSRF check judges what the client really sent.
   */
  readonly method: string
  /**
   * The path as the framework's router matched it: no query string or fragment, the path of an
   * absolute-form request target (`POST http://host/login`), percent-escapes decoded where the
   * router decodes them. Spellings the router sends to one route have one `path` wherever the
   * router folds them itself (Fastify's `caseSensitive: false`, for example).
   */
  readonly path: string
  /**
   * The route pattern the framework matched (`/users/:id`), when it has one: Fastify's
   * `request.routeOptions.url`, Express's `req.baseUrl` and `req.route.path`, Hono's
   * `c.req.routePath`. Undefined outside a matched route (a 404, a middleware mounted on a
   * wildcard, a Fetch handler). The default rate-limit key counts one bucket per route with it.
   */
  readonly route?: string | undefined
  /** The client address as the framework determined it (trust-proxy rules are the app's), if known. */
  readonly ip?: string | undefined
  /** A header by lower-case name; repeated headers are joined with `, `. */
  header(name: string): string | undefined
  /** A cookie by name. */
  cookie(name: string): string | undefined
  /** A query parameter: a string, an array when repeated, undefined when absent. */
  query(name: string): string | string[] | undefined
  /** The body parsed as JSON, or undefined when it is not JSON (or cannot be parsed). */
  json(): unknown
  /** The body parsed as a form (urlencoded or multipart), or undefined. */
  form(): unknown
}

/** A request the core accepts: a Fetch `Request` or an adapter's `RequestView`. */
export type RequestLike = Request | RequestView
