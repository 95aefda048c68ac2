/**
 * Reading the body of a raw Node request that no parser read, capped, for any Node framework:
 * the part of a guard that must see a token in a JSON body (or a CSRF value in a urlencoded form)
 * without asking the application for a body parser.
 */
import type { IncomingMessage } from 'node:http'
import { parse as parseQueryString } from 'node:querystring'
import { MAX_BODY_BYTES } from '../../internal/body.ts'
import { isCsrfMethod } from '../../request/csrf.ts'
import { isJSONContentType } from '../../request/view.ts'
import type { BodyNeed } from '../shared/kit.ts'

/** A body read by {@link readUnparsedBody}: `value` is undefined for malformed JSON. */
export interface ReadNodeBody {
  readonly value: unknown
}

/** An Error shaped like body-parser's, so Express's final handler (and Koa's) answers 413. */
function tooLarge(): Error {
  return Object.assign(new Error('request entity too large'), {
    status: 413,
    statusCode: 413,
    expose: true,
    type: 'entity.too.large',
  })
}

/** Whether a `Content-Type` names a urlencoded form (multipart needs the app's own parser). */
function isURLEncoded(contentType: string | undefined): boolean {
  return (contentType ?? '').trim().toLowerCase().startsWith('application/x-www-form-urlencoded')
}

/** Whether the request announces a body (type-is's `hasBody`). */
function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined
  )
}

/**
 * Reads the raw body, at most `limit` bytes; larger bodies reject with a 413 error and the rest
 * of the stream is left paused (the framework's final handler drains it).
 *
 * @param req - the raw Node request
 * @param limit - the most bytes to read
 * @returns the bytes, or undefined when the client disconnected mid-body
 */
export function readNodeBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      cleanup()
      req.pause()
      reject(tooLarge())
    }
    const onEnd = (): void => {
      cleanup()
      resolve(Buffer.concat(chunks))
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    // A client that disconnects mid-body: no body, and nobody left to answer.
    const onClose = (): void => {
      cleanup()
      resolve(undefined)
    }
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
  })
}

/**
 * Reads and parses the body a guard needs, when the request has one of the right type and nobody
 * read it yet (the caller checks its framework's own "already parsed" marker first): a JSON body
 * for a `json` location, a urlencoded form for the CSRF field on CSRF methods, up to 1 MiB.
 *
 * @param req - the raw Node request
 * @param need - what the guard may read (`bodyNeed`)
 * @param methodOf - the request-line method of `req` (before any method override)
 * @returns undefined, synchronously, when there is nothing to read; else the promise of the
 *   parsed body (undefined when the client went away), rejected with a 413 error above the cap
 */
export function readUnparsedBody<Req extends IncomingMessage>(
  req: Req,
  need: BodyNeed,
  methodOf: (req: Req) => string,
): Promise<ReadNodeBody | undefined> | undefined {
  if (req.readableEnded || !hasBody(req)) return undefined
  const contentType = req.headers['content-type']
  const json = need.json && isJSONContentType(contentType)
  // The CSRF value comes from a form field only on CSRF methods.
  const form =
    !json && need.form && isURLEncoded(contentType) && isCsrfMethod(need.csrfMethods, methodOf(req))
  if (!json && !form) return undefined
  return readNodeBody(req, MAX_BODY_BYTES).then((raw) => {
    if (raw === undefined) return undefined
    const text = raw.toString('utf8')
    if (form) return { value: parseQueryString(text) }
    try {
      return { value: JSON.parse(text) as unknown }
    } catch {
      // An unparsable body holds no token; the guard then reports the token as missing.
      return { value: undefined }
    }
  })
}
