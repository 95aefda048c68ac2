/**
 * What the runtime's `node:crypto` does with sign/verify options, found out by trying it on a
 * fixed RSA key and signature rather than by the runtime's name. Node, Bun and Deno do
 * everything the signer needs. Cloudflare's workerd (`nodejs_compat`) differs in two ways:
 *
 * - its `sign`/`verify` take a key inside an options object (`{ key, dsaEncoding }`) only as key
 *   material, not as a `KeyObject`, so the options carry the key's DER there instead;
 * - it ignores the RSA-PSS `padding` option and signs and verifies PKCS#1 v1.5: a PS256 token
 *   it minted would be an RS256 signature under a PS256 header, and a real PS256 token would
 *   fail. The key import refuses PS256/PS384/PS512 on such a runtime instead.
 */
import { Buffer } from 'node:buffer'
import { constants, createPublicKey, verify } from 'node:crypto'
import type { KeyObject, SignKeyObjectInput } from 'node:crypto'

/** SPKI DER of an RSA-1024 public key made for this probe only (its private half is gone). */
const PROBE_KEY = Buffer.from(
  'MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDz/qztD+iPihGHu2XQ7a/dPFb0HH/AO53OgxjtjXu5MmaB5s90U6aWGvhm' +
    'RU1S9J1+w5eSWJPaC0Otkd0kcm665zY9N9Ff038Jjqw64ububPNQs6YgafOjbInCqJ9F9Z7u4MbRpQb1ctcXxQJoDRfZ' +
    'YmYH9nBvA/GS3T0XPBVfJQIDAQAB',
  'base64',
)
const PROBE_MESSAGE = Buffer.from('authx-ts runtime probe')
/** A PKCS#1 v1.5 SHA-256 signature of {@link PROBE_MESSAGE} under {@link PROBE_KEY}. */
const PROBE_PKCS1_SIGNATURE = Buffer.from(
  'MRnGH7dOZI99+M/gqes4/y1lpY+BwWk4BTe5vVx5Kc+EM+6TCTQN/flQDQkIGvgbdOMtZdnlu9zK6JFOUqY7OPALS339E8Qo' +
    'i6ObkHdAupOx3hoQnn/xiBFaxuIAGGUYpLVdkoZvxvRf0l3PgGnSZvpXlDFYLCB/fnWe8lWexpo=',
  'base64',
)

/** Whether `sign`/`verify` accept a `KeyObject` as the `key` of an options object. */
const keyObjectsInOptions: boolean = (() => {
  try {
    const key = createPublicKey({ key: PROBE_KEY, format: 'der', type: 'spki' })
    return verify('sha256', PROBE_MESSAGE, { key }, PROBE_PKCS1_SIGNATURE)
  } catch {
    return false
  }
})()

/** The DER of each key, for runtimes that take only material in options; computed once per key. */
const material = new WeakMap<KeyObject, SignKeyObjectInput>()

function materialOf(key: KeyObject): SignKeyObjectInput {
  let input = material.get(key)
  if (input === undefined) {
    const type = key.type === 'private' ? 'pkcs8' : 'spki'
    // The types describe the KeyObject form; the material form is what the runtime takes.
    input = {
      key: key.export({ format: 'der', type }),
      format: 'der',
      type,
    } as unknown as SignKeyObjectInput
    material.set(key, input)
  }
  return input
}

/**
 * The options object of an ECDSA `sign`/`verify` with JWS's R||S signature encoding.
 *
 * @param key - the bound key
 * @returns `{ key, dsaEncoding: 'ieee-p1363' }`, or the key's DER in place of the KeyObject
 */
export const ecdsaOptions: (key: KeyObject) => SignKeyObjectInput = keyObjectsInOptions
  ? (key) => ({ key, dsaEncoding: 'ieee-p1363' })
  : (key) => ({ ...materialOf(key), dsaEncoding: 'ieee-p1363' })

/**
 * The options object of an RSA-PSS `sign`/`verify` (the salt is as long as the hash, RFC 7518
 * section 3.5).
 *
 * @param key - the bound key
 * @param saltLength - the hash output size in bytes
 * @returns `{ key, padding, saltLength }`, or the key's DER in place of the KeyObject
 */
export const pssOptions: (key: KeyObject, saltLength: number) => SignKeyObjectInput =
  keyObjectsInOptions
    ? (key, saltLength) => ({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength })
    : (key, saltLength) => ({
        ...materialOf(key),
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength,
      })

let pssHonoured: boolean | undefined

/**
 * Whether the runtime applies the RSA-PSS padding it is asked for: a PKCS#1 v1.5 signature must
 * not verify as PSS. Tried once, when the first PS256/PS384/PS512 key is imported.
 *
 * @returns false on a runtime that would silently sign and verify PKCS#1 v1.5 instead
 */
export function honoursPSSPadding(): boolean {
  if (pssHonoured === undefined) {
    try {
      pssHonoured = !verify(
        'sha256',
        PROBE_MESSAGE,
        {
          key: PROBE_KEY,
          format: 'der',
          type: 'spki',
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        },
        PROBE_PKCS1_SIGNATURE,
      )
    } catch {
      pssHonoured = false
    }
  }
  return pssHonoured
}
