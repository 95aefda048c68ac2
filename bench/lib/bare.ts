/**
 * The bare limit of HS256 verification, shared by every benchmark that measures against it:
 * the HMAC, a constant-time comparison and `JSON.parse` of the payload, with no claim checks and
 * no strictness. What any JWT library must do at the least.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Verifies an HS256 token the bare way.
 *
 * @param secret - the HMAC key as a Buffer (measured faster in `createHmac` than a string or a
 *   `KeyObject`)
 * @param token - a compact JWS
 * @returns the parsed payload
 * @throws Error on a wrong signature or a payload that is not JSON
 */
export function bareHmacVerify(secret: Buffer, token: string): unknown {
  const first = token.indexOf('.')
  const second = token.lastIndexOf('.')
  const expected = createHmac('sha256', secret).update(token.slice(0, second)).digest()
  const signature = Buffer.from(token.slice(second + 1), 'base64url')
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected))
    throw new Error('bad signature')
  return JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString())
}
