/**
 * "Before the head is sent" on a raw Node `ServerResponse`, which has no such hook: the head is
 * held until a decision about the response's cookies (implicit refresh) is made. For any Node
 * framework without an `onSend`-like hook (Express, Koa).
 */
import type { ServerResponse } from 'node:http'
import type { SetCookie } from '../../response/cookies.ts'
import type { HeadDecision } from '../shared/kit.ts'

/** The `ServerResponse` methods through which the head of a response can leave. */
const HEAD_WRITERS = ['writeHead', 'write', 'end', 'flushHeaders'] as const

type HeadWriter = (typeof HEAD_WRITERS)[number]

/**
 * The Set-Cookie values a response will carry if it calls `args` now: those already set, and
 * those `writeHead(status, [message], headers)` passes (an object, or a flat name-value array).
 */
function setCookiesAt(res: ServerResponse, name: HeadWriter, args: readonly unknown[]): string[] {
  const values: string[] = []
  const add = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value as unknown[]) add(item)
    else if (typeof value === 'string' || typeof value === 'number') values.push(String(value))
  }
  add(res.getHeader('set-cookie'))
  if (name !== 'writeHead') return values
  const headers = typeof args[1] === 'string' ? args[2] : args[1]
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === 'set-cookie') add(headers[i + 1])
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers))
      if (key.toLowerCase() === 'set-cookie') add(value)
  }
  return values
}

/** The `ServerResponse` methods that change headers, which Node refuses once the head is sent. */
const HEADER_SETTERS = ['setHeader', 'appendHeader', 'removeHeader'] as const

/** Node's error for a header change after the head was sent (`ERR_HTTP_HEADERS_SENT`). */
function headersSentError(action: string): Error {
  return Object.assign(new Error(`Cannot ${action} headers after they are sent to the client`), {
    code: 'ERR_HTTP_HEADERS_SENT',
  })
}

/**
 * Holds the head of a response until a pending implicit refresh is decided. Node sends the head
 * from `writeHead`, or from the first `write`, `end` or `flushHeaders` (which call `writeHead`
 * for an implicit head): the first of these calls takes the status and Set-Cookie values as they
 * stand, starts `decide`, and is queued with every call after it. Once `decide` settles, the
 * cookies it returns are appended and the calls replayed in order; from then
 * on the methods pass straight through. No byte of the response leaves before the decision, so
 * a logout's deletions are never followed by a new token cookie.
 *
 * While held the response behaves as one whose head is sent, so code after the first call sees
 * what it would see without the hold: `headersSent` is true, a header change or a second
 * `writeHead` throws `ERR_HTTP_HEADERS_SENT` (an error handler taking over after a write closes
 * the connection, as Express's does when headers are out), and a status set late is ignored.
 * `write` answers `false` (as a full buffer does) and `'drain'` follows the replay, so a piped
 * stream waits instead of piling up; `end` answers the response. A queued call that throws on
 * replay (an invalid status) can no longer reach its caller: the response is destroyed with
 * that error instead.
 *
 * @param res - the response
 * @param decide - decides the cookies once the status and Set-Cookie values are known
 * @param appendCookie - appends one Set-Cookie header the framework's way
 */
export function holdHeadUntilDecided<Res extends ServerResponse>(
  res: Res,
  decide: HeadDecision,
  appendCookie: (res: Res, header: string) => void,
): void {
  const target = res as unknown as Record<
    HeadWriter | (typeof HEADER_SETTERS)[number],
    (...args: unknown[]) => unknown
  >
  const originals = new Map(HEAD_WRITERS.map((name) => [name, target[name]] as const))
  let state: 'open' | 'held' | 'released' = 'open'
  const queue: { name: HeadWriter; args: unknown[] }[] = []
  let owesDrain = false
  let status = 0
  /** Own properties the hold shadows, to put back as they were (most are on the prototype). */
  const shadowed = new Map<PropertyKey, PropertyDescriptor | undefined>()
  const shadow = (key: PropertyKey, descriptor: PropertyDescriptor): void => {
    shadowed.set(key, Object.getOwnPropertyDescriptor(res, key))
    Object.defineProperty(res, key, { configurable: true, ...descriptor })
  }
  const call = (name: HeadWriter, args: unknown[]): unknown => originals.get(name)!.apply(res, args)
  const release = (cookies: readonly SetCookie[]): void => {
    state = 'released'
    // The real `headersSent` and header setters again, before anything is replayed.
    for (const [key, descriptor] of shadowed) {
      if (descriptor === undefined) Reflect.deleteProperty(res, key)
      else Object.defineProperty(res, key, descriptor)
    }
    res.statusCode = status
    let wrote: unknown = true
    try {
      if (!res.headersSent) for (const cookie of cookies) appendCookie(res, cookie.header)
      for (const { name, args } of queue) {
        const result = call(name, args)
        if (name === 'write') wrote = result
      }
    } catch (error) {
      res.destroy(error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (owesDrain && wrote !== false && !res.writableEnded) res.emit('drain')
  }
  const hold = (name: HeadWriter, args: unknown[]): void => {
    state = 'held'
    // writeHead's own status wins over `statusCode` (which it would set).
    status = name === 'writeHead' && typeof args[0] === 'number' ? args[0] : res.statusCode
    const setCookies = setCookiesAt(res, name, args)
    shadow('headersSent', { get: () => true })
    for (const setter of HEADER_SETTERS) {
      if (typeof target[setter] !== 'function') continue
      const verb = setter === 'setHeader' ? 'set' : setter === 'appendHeader' ? 'append' : 'remove'
      shadow(setter, {
        writable: true,
        value: () => {
          throw headersSentError(verb)
        },
      })
    }
    // `decide` never rejects: a failure to decide drops the cookie, not the response.
    void decide(status, setCookies).then(release)
  }
  for (const name of HEAD_WRITERS) {
    target[name] = (...args: unknown[]): unknown => {
      if (state === 'released') return call(name, args)
      if (state === 'open') {
        if (res.headersSent) {
          state = 'released'
          return call(name, args)
        }
        hold(name, args)
      } else if (name === 'writeHead') {
        // A second head, as Node refuses it once the first is out.
        throw headersSentError('write')
      }
      queue.push({ name, args })
      if (name === 'write') {
        owesDrain = true
        return false
      }
      return name === 'flushHeaders' ? undefined : res
    }
  }
}
