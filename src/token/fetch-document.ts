/**
 * Fetching a JSON document from a configured URL (a `jwks_uri`, an OpenID discovery document),
 * with the rules a key source needs: the URL comes from configuration only, never from a token;
 * `https:` only, except on loopback (a local provider in development and tests); no redirects;
 * only a 200 is accepted, its body capped and parsed as a JSON object; the whole exchange bounded
 * by a timeout. Uses the global `fetch`, so it runs wherever the Fetch integration does.
 *
 * @packageDocumentation
 */

/** The largest document accepted: a JWK Set of hundreds of RSA keys fits several times over. */
export const MAX_DOCUMENT_BYTES = 512 * 1024

/** Why a document could not be fetched; the message names the URL and the cause. */
export class DocumentFetchError extends Error {
  override readonly name = 'DocumentFetchError'
}

/** Loopback host names as `URL.hostname` spells them. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(?:\.\d{1,3}){3}$/.test(hostname)
  )
}

/**
 * Checks a configured document URL: absolute, `https:`, or `http:` on a loopback host.
 *
 * @param value - the configured URL
 * @returns the parsed URL
 * @throws TypeError naming what is wrong
 */
export function checkDocumentURL(value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`${JSON.stringify(value)} is not an absolute URL`)
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url
  throw new TypeError(
    `${url.origin} must use https: (plain http: is accepted on loopback addresses only)`,
  )
}

/**
 * Reads a response body up to `limit` bytes, cancelling the stream beyond it: a hostile endpoint
 * cannot make us buffer more than the cap, whatever its `Content-Length` said.
 */
async function readCapped(response: Response, limit: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) throw new Error(`body of ${declared} bytes exceeds ${limit}`)
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw new Error(`body exceeds ${limit} bytes`)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * Fetches a JSON object.
 *
 * @param url - a URL already checked by {@link checkDocumentURL}
 * @param timeoutSeconds - the bound on the whole exchange, body included
 * @param accept - the media types asked for
 * @throws DocumentFetchError naming the URL and why it failed
 */
export async function fetchJSONDocument(
  url: URL,
  timeoutSeconds: number,
  accept = 'application/json',
): Promise<Record<string, unknown>> {
  const where = `${url.origin}${url.pathname}`
  try {
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1, Math.round(timeoutSeconds * 1000))),
      headers: { accept },
    })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined)
      throw new Error(
        response.status >= 300 && response.status < 400
          ? `answered a redirect (${response.status}); redirects are not followed`
          : `answered ${response.status}`,
      )
    }
    const bytes = await readCapped(response, MAX_DOCUMENT_BYTES)
    let value: unknown
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    } catch {
      throw new Error('answered something that is not UTF-8 JSON')
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('answered JSON that is not an object')
    }
    return value as Record<string, unknown>
  } catch (error) {
    // fetch() rejects with "fetch failed" and keeps the socket's error (ECONNREFUSED...) inside.
    const inner = (error as { cause?: { code?: unknown; message?: unknown } }).cause
    const detail = typeof inner?.code === 'string' ? inner.code : inner?.message
    const cause =
      (error as Error).name === 'TimeoutError'
        ? `did not answer within ${timeoutSeconds} s`
        : `${(error as Error).message}${typeof detail === 'string' ? ` (${detail})` : ''}`
    throw new DocumentFetchError(`${where} ${cause}`, { cause: error })
  }
}
