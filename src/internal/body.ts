/**
 * Bounded reading of a Fetch request body, shared by the Fetch view and the Hono binding: a
 * token carrier is small, so a body over the cap is not read for a token at all.
 */

/** Bodies larger than this are not read for a token (1 MiB). */
export const MAX_BODY_BYTES = 1 << 20

/**
 * Reads the body of a clone of `request`, at most `limit` bytes, so the original stays readable
 * by the handler. A declared Content-Length is checked first; a streamed (chunked) body declares
 * none, so the cap is also enforced while reading.
 *
 * @param request - the Fetch request (not consumed)
 * @param limit - the cap in bytes
 * @returns the bytes (empty for no body), or undefined when the body is larger than the cap
 */
export async function readBodyCapped(
  request: Request,
  limit: number = MAX_BODY_BYTES,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (Number(request.headers.get('content-length')) > limit) return undefined
  const body = request.clone().body
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      // Not awaited: cancelling one branch of a tee'd body settles only once the other branch (the
      // handler's) is cancelled too, so awaiting here would hang the request.
      void reader.cancel().catch(() => undefined)
      return undefined
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
