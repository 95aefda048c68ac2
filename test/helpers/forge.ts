/**
 * Test-only token forgery. Builds compact JWS tokens byte by byte on `node:crypto`, never with the
 * library's own signer, so a negative test controls every byte the verifier sees: the base64
 * alphabet, padding, trailing bits, UTF-8 validity, duplicate JSON members, the signature encoding
 * (`ieee-p1363` or `der`) and the algorithm used to sign, independently of the header's `alg`.
 *
 * Nothing here validates its input: producing malformed tokens is the point.
 *
 * @example Forge an HS256 token whose header has a duplicate `alg`
 * ```ts
 * const token = forgeToken({
 *   header: '{"alg":"none","alg":"HS256"}',
 *   payload: { sub: 'alice' },
 *   key: secret,
 *   alg: 'HS256',
 * })
 * ```
 */
import { KeyObject, constants, createHmac, createPrivateKey, sign } from 'node:crypto'

/** The algorithms this module can sign with (the JWS names, as in RFC 7518). */
export type ForgeAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'

/**
 * What a header or payload segment is made of:
 * - a `string` is the raw text of the segment (any JSON or non-JSON text, encoded as UTF-8), so
 *   duplicate members, whitespace, a BOM or `[1,2]` are written exactly as given;
 * - a `Uint8Array` is the raw bytes (for invalid UTF-8);
 * - anything else is serialised with `JSON.stringify` (objects, arrays, numbers, `null`).
 */
export type SegmentContent = string | Uint8Array | object | number | boolean | null

/** A signing key: a `KeyObject`, a PEM string (asymmetric) or the raw secret (HMAC). */
export type ForgeKey = KeyObject | string | Uint8Array

/** ECDSA signature encodings accepted by `node:crypto`. */
export type DSAEncoding = 'ieee-p1363' | 'der'

/** Options of {@link forgeToken}. */
export interface ForgeTokenOptions {
  /** The protected header; defaults to `{ alg }` (or `{}` when there is no `alg`). */
  header?: SegmentContent
  /** The payload; defaults to `{}`. */
  payload?: SegmentContent
  /** An already encoded header segment, used verbatim (wins over `header`). */
  rawHeader?: string
  /** An already encoded payload segment, used verbatim (wins over `payload`). */
  rawPayload?: string
  /** The key that signs `rawHeader.rawPayload`; without it (and `signature`) the signature is empty. */
  key?: ForgeKey
  /**
   * The algorithm that actually signs; defaults to the header's `alg` when the header is an
   * object. It may differ from the header on purpose (algorithm confusion).
   */
  alg?: ForgeAlgorithm
  /**
   * A fixed signature: bytes are base64url-encoded, a string is used verbatim as the third
   * segment (so `''` gives an empty signature and `'a+b='` an off-alphabet one).
   */
  signature?: Uint8Array | string
  /** ECDSA output encoding; JWS requires `ieee-p1363` (R||S), the default. */
  dsaEncoding?: DSAEncoding
  /** RSASSA-PSS salt length in bytes; defaults to the hash length as RFC 7518 section 3.5 says. */
  saltLength?: number
}

interface AlgorithmParameters {
  family: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa'
  hash: 'sha256' | 'sha384' | 'sha512' | null
  hashBytes: number
}

/** Our own table, deliberately not imported from the library under test. */
const PARAMETERS: Readonly<Record<ForgeAlgorithm, AlgorithmParameters>> = {
  HS256: { family: 'hmac', hash: 'sha256', hashBytes: 32 },
  HS384: { family: 'hmac', hash: 'sha384', hashBytes: 48 },
  HS512: { family: 'hmac', hash: 'sha512', hashBytes: 64 },
  RS256: { family: 'rsa', hash: 'sha256', hashBytes: 32 },
  RS384: { family: 'rsa', hash: 'sha384', hashBytes: 48 },
  RS512: { family: 'rsa', hash: 'sha512', hashBytes: 64 },
  PS256: { family: 'pss', hash: 'sha256', hashBytes: 32 },
  PS384: { family: 'pss', hash: 'sha384', hashBytes: 48 },
  PS512: { family: 'pss', hash: 'sha512', hashBytes: 64 },
  ES256: { family: 'ecdsa', hash: 'sha256', hashBytes: 32 },
  ES384: { family: 'ecdsa', hash: 'sha384', hashBytes: 48 },
  ES512: { family: 'ecdsa', hash: 'sha512', hashBytes: 64 },
  EdDSA: { family: 'eddsa', hash: null, hashBytes: 64 },
}

/** Every algorithm {@link signBytes} supports, in RFC 7518 order. */
export const FORGE_ALGORITHMS: readonly ForgeAlgorithm[] = Object.keys(
  PARAMETERS,
) as ForgeAlgorithm[]

/** The order `n` of each ECDSA curve's base point (SEC 2 / FIPS 186-4). */
export const CURVE_ORDERS: Readonly<Record<'ES256' | 'ES384' | 'ES512', bigint>> = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384:
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
}

/** The order `L` of the Ed25519 base point (RFC 8032 section 5.1). */
export const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n

/** Byte length of R and of S in a JWS ECDSA signature (RFC 7518 section 3.4). */
export const ECDSA_COMPONENT_BYTES: Readonly<Record<'ES256' | 'ES384' | 'ES512', number>> = {
  ES256: 32,
  ES384: 48,
  ES512: 66,
}

/**
 * Base64url without padding (RFC 7515 section 2), of bytes or of a string's UTF-8 encoding.
 *
 * @param input - bytes, or text to encode as UTF-8
 * @returns the canonical unpadded base64url text
 */
export function b64url(input: Uint8Array | string): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString(
    'base64url',
  )
}

/**
 * Decodes base64url leniently (Node's decoder), for inspecting forged tokens in tests.
 *
 * @param segment - a token segment
 * @returns the decoded bytes
 */
export function unb64url(segment: string): Buffer {
  return Buffer.from(segment, 'base64url')
}

/**
 * The bytes a segment is made of, following the rules of {@link SegmentContent}.
 *
 * @param content - raw text, raw bytes, or a value to serialise as JSON
 * @returns the segment's decoded bytes
 */
export function segmentBytes(content: SegmentContent): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8')
  if (content instanceof Uint8Array) return Buffer.from(content)
  return Buffer.from(JSON.stringify(content), 'utf8')
}

/**
 * Encodes a header or payload segment from raw text, raw bytes or a JSON value.
 *
 * @param content - see {@link SegmentContent}
 * @returns the base64url segment
 */
export function encodeSegment(content: SegmentContent): string {
  return b64url(segmentBytes(content))
}

/**
 * Encodes raw text (UTF-8) or raw bytes as a segment, without any JSON serialisation.
 *
 * @param raw - the exact content of the segment
 * @returns the base64url segment
 */
export function rawSegment(raw: string | Uint8Array): string {
  return b64url(raw)
}

/**
 * Encodes a value as a JSON segment (`JSON.stringify`, UTF-8, base64url).
 *
 * @param value - any JSON-serialisable value, objects or not
 * @returns the base64url segment
 */
export function jsonSegment(value: unknown): string {
  return b64url(JSON.stringify(value))
}

/**
 * Signs bytes with `node:crypto` exactly as RFC 7518 defines `alg`.
 *
 * @param alg - the algorithm that signs (not necessarily the header's)
 * @param key - HMAC secret (any bytes, even a public key's), or a private key
 * @param data - the bytes to sign, usually `header.payload`
 * @param options - ECDSA encoding and PSS salt length overrides
 * @returns the raw signature
 */
export function signBytes(
  alg: ForgeAlgorithm,
  key: ForgeKey,
  data: string | Uint8Array,
  options: { dsaEncoding?: DSAEncoding; saltLength?: number } = {},
): Buffer {
  const { family, hash, hashBytes } = PARAMETERS[alg]
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  if (family === 'hmac') {
    // Any bytes are an HMAC key here, public key material included: that is the attack.
    const secret = key instanceof Uint8Array ? Buffer.from(key) : key
    return createHmac(hash as string, secret)
      .update(bytes)
      .digest()
  }
  const privateKey =
    key instanceof KeyObject
      ? key
      : createPrivateKey(typeof key === 'string' ? key : Buffer.from(key))
  switch (family) {
    case 'rsa':
      return sign(hash, bytes, privateKey)
    case 'pss':
      return sign(hash, bytes, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: options.saltLength ?? hashBytes,
      })
    case 'ecdsa':
      return sign(hash, bytes, {
        key: privateKey,
        dsaEncoding: options.dsaEncoding ?? 'ieee-p1363',
      })
    case 'eddsa':
      return sign(null, bytes, privateKey)
  }
}

function headerAlg(header: SegmentContent | undefined): ForgeAlgorithm | undefined {
  if (typeof header !== 'object' || header === null || header instanceof Uint8Array) return
  const alg = (header as { alg?: unknown }).alg
  return typeof alg === 'string' && Object.hasOwn(PARAMETERS, alg)
    ? (alg as ForgeAlgorithm)
    : undefined
}

/**
 * Builds a compact JWS from parts, signing the exact `header.payload` text that ends up in the
 * token (so off-alphabet or padded segments still carry a valid signature over themselves).
 *
 * @param options - the parts; see {@link ForgeTokenOptions}
 * @returns `header.payload.signature`
 * @throws TypeError when a key is given but no signing algorithm can be determined
 *
 * @example An HS256 token signed with an RSA public key's PEM as the HMAC secret
 * ```ts
 * const pem = publicKey.export({ type: 'spki', format: 'pem' })
 * const token = forgeToken({ header: { alg: 'HS256' }, payload: { sub: 'root' }, key: pem })
 * ```
 */
export function forgeToken(options: ForgeTokenOptions = {}): string {
  const alg = options.alg ?? headerAlg(options.header)
  const header = options.rawHeader ?? encodeSegment(options.header ?? (alg ? { alg } : {}))
  const payload = options.rawPayload ?? encodeSegment(options.payload ?? {})
  const input = `${header}.${payload}`
  let signature: string
  if (options.signature !== undefined) {
    signature =
      typeof options.signature === 'string' ? options.signature : b64url(options.signature)
  } else if (options.key !== undefined) {
    if (alg === undefined) throw new TypeError('forgeToken: a key needs alg (or header.alg)')
    const signOptions: { dsaEncoding?: DSAEncoding; saltLength?: number } = {}
    if (options.dsaEncoding !== undefined) signOptions.dsaEncoding = options.dsaEncoding
    if (options.saltLength !== undefined) signOptions.saltLength = options.saltLength
    signature = b64url(signBytes(alg, options.key, input, signOptions))
  } else {
    signature = ''
  }
  return `${input}.${signature}`
}

/**
 * Splits a token into exactly three segments.
 *
 * @param token - a compact JWS
 * @returns the header, payload and signature segments
 * @throws TypeError when the token does not have three segments
 */
export function splitToken(token: string): [string, string, string] {
  const parts = token.split('.')
  if (parts.length !== 3) throw new TypeError(`splitToken: ${parts.length} segments`)
  return parts as [string, string, string]
}

/**
 * Replaces one segment of a token, leaving the others (and so the signature) untouched.
 *
 * @param token - a compact JWS
 * @param index - 0 header, 1 payload, 2 signature
 * @param segment - the new encoded segment, used verbatim
 * @returns the modified token
 */
export function replaceSegment(token: string, index: 0 | 1 | 2, segment: string): string {
  const parts = splitToken(token)
  parts[index] = segment
  return parts.join('.')
}

/**
 * The decoded signature of a token.
 *
 * @param token - a compact JWS
 * @returns the signature bytes
 */
export function signatureOf(token: string): Buffer {
  return unb64url(splitToken(token)[2])
}

/**
 * Replaces the signature of a token.
 *
 * @param token - a compact JWS
 * @param signature - new signature bytes (encoded canonically) or a verbatim segment
 * @returns the modified token
 */
export function withSignature(token: string, signature: Uint8Array | string): string {
  return replaceSegment(token, 2, typeof signature === 'string' ? signature : b64url(signature))
}

/**
 * Rewrites a base64url segment in the standard base64 alphabet (`-` to `+`, `_` to `/`), which
 * Node's base64url decoder silently accepts.
 *
 * @param segment - a base64url segment
 * @returns the same bytes spelled with `+` and `/`
 */
export function toStandardAlphabet(segment: string): string {
  return segment.replaceAll('-', '+').replaceAll('_', '/')
}

/**
 * Appends `=` padding. Without `count`, pads to a multiple of four characters (nothing when the
 * length already is one); with `count`, appends exactly that many `=`.
 *
 * @param segment - a base64url segment
 * @param count - how many `=` to append
 * @returns the padded segment
 */
export function addPadding(segment: string, count?: number): string {
  const n = count ?? (4 - (segment.length % 4)) % 4
  return segment + '='.repeat(n)
}

/** How many low bits of the last character carry no data, by `length % 4` (RFC 4648 section 3.5). */
const UNUSED_BITS: Readonly<Record<number, number>> = { 0: 0, 2: 4, 3: 2 }

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * The number of unused low bits in the segment's last character: 4 when `length % 4 === 2`, 2
 * when it is 3, 0 when it is 0.
 *
 * @param segment - a canonical unpadded base64url segment
 * @returns 0, 2 or 4
 */
export function unusedTrailingBits(segment: string): number {
  return UNUSED_BITS[segment.length % 4] ?? 0
}

/**
 * Sets the unused trailing bits of the last character (RFC 4648 section 3.5): the decoded bytes
 * stay the same, but the spelling is no longer canonical. Decoders that do not check accept both.
 *
 * @param segment - a canonical segment whose length is not a multiple of four
 * @param bits - which unused bits to set (a mask, default all of them)
 * @returns the non-canonical spelling
 * @throws RangeError when the segment has no unused bits or the mask does not fit them
 */
export function setTrailingBits(segment: string, bits?: number): string {
  const unused = unusedTrailingBits(segment)
  if (unused === 0) throw new RangeError('setTrailingBits: the segment has no unused bits')
  const mask = bits ?? (1 << unused) - 1
  if (mask <= 0 || mask >= 1 << unused) throw new RangeError('setTrailingBits: mask out of range')
  const last = ALPHABET.indexOf(segment.charAt(segment.length - 1))
  if (last < 0) throw new RangeError('setTrailingBits: last character is not base64url')
  return segment.slice(0, -1) + ALPHABET.charAt(last | mask)
}

/**
 * Flips one bit of a byte string.
 *
 * @param bytes - the input (not modified)
 * @param bit - the bit index, 0 is the most significant bit of the first byte
 * @returns a modified copy
 */
export function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes)
  const index = bit >> 3
  const byte = copy[index]
  if (byte === undefined) throw new RangeError(`flipBit: bit ${bit} is out of range`)
  copy[index] = byte ^ (0x80 >> (bit & 7))
  return copy
}

/**
 * Flips one bit of a decoded segment and re-encodes it canonically, so the token stays well
 * formed and only its meaning (or its signature's validity) changes.
 *
 * @param token - a compact JWS
 * @param index - 0 header, 1 payload, 2 signature
 * @param bit - the bit index in the decoded segment
 * @returns the modified token
 */
export function flipSegmentBit(token: string, index: 0 | 1 | 2, bit: number): string {
  const parts = splitToken(token)
  parts[index] = b64url(flipBit(unb64url(parts[index]), bit))
  return parts.join('.')
}

/**
 * Flips one bit of one character of the token text (the character code, not the decoded bytes),
 * which can turn a character into another alphabet letter, an off-alphabet one or a separator.
 *
 * @param token - any string
 * @param index - the character position
 * @param bit - 0 (least significant) to 15
 * @returns the modified string
 */
export function flipCharBit(token: string, index: number, bit: number): string {
  const code = token.charCodeAt(index)
  if (Number.isNaN(code)) throw new RangeError(`flipCharBit: index ${index} is out of range`)
  return token.slice(0, index) + String.fromCharCode(code ^ (1 << bit)) + token.slice(index + 1)
}

/**
 * Removes bytes from the end of a token's signature.
 *
 * @param token - a compact JWS
 * @param bytes - how many bytes to drop (default 1)
 * @returns the token with the shorter signature
 */
export function truncateSignature(token: string, bytes = 1): string {
  const signature = signatureOf(token)
  return withSignature(token, signature.subarray(0, Math.max(0, signature.length - bytes)))
}

/**
 * Appends bytes to a token's signature.
 *
 * @param token - a compact JWS
 * @param extra - the bytes to append, or a count of zero bytes (default 1)
 * @returns the token with the longer signature
 */
export function extendSignature(token: string, extra: Uint8Array | number = 1): string {
  const tail = typeof extra === 'number' ? Buffer.alloc(extra) : Buffer.from(extra)
  return withSignature(token, Buffer.concat([signatureOf(token), tail]))
}

/**
 * Reads a big-endian unsigned integer.
 *
 * @param bytes - big-endian bytes
 * @returns the integer
 */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`)
}

/**
 * Writes a big-endian unsigned integer on a fixed number of bytes.
 *
 * @param value - a non-negative integer
 * @param length - the output length
 * @returns the bytes
 * @throws RangeError when the value does not fit
 */
export function bigIntToBytes(value: bigint, length: number): Buffer {
  const hex = value.toString(16).padStart(length * 2, '0')
  if (value < 0n || hex.length > length * 2) throw new RangeError('bigIntToBytes: does not fit')
  return Buffer.from(hex, 'hex')
}

/**
 * Builds an R||S ECDSA signature from integers, for crafted values such as `r = s = 0`
 * (CVE-2022-21449) or `r = n`.
 *
 * @param alg - ES256, ES384 or ES512 (fixes the component size)
 * @param r - the R value
 * @param s - the S value
 * @returns the 64-, 96- or 132-byte signature
 */
export function ecdsaSignature(alg: 'ES256' | 'ES384' | 'ES512', r: bigint, s: bigint): Buffer {
  const size = ECDSA_COMPONENT_BYTES[alg]
  return Buffer.concat([bigIntToBytes(r, size), bigIntToBytes(s, size)])
}

/**
 * The malleated twin of an R||S ECDSA signature: `(r, n - s)`. Both verify for the same message;
 * when `s` is low this yields the high-S form and vice versa.
 *
 * @param alg - ES256, ES384 or ES512
 * @param signature - an R||S signature
 * @returns `(r, n - s)` in R||S form
 */
export function negateS(alg: 'ES256' | 'ES384' | 'ES512', signature: Uint8Array): Buffer {
  const size = ECDSA_COMPONENT_BYTES[alg]
  const r = bytesToBigInt(signature.subarray(0, size))
  const s = bytesToBigInt(signature.subarray(size))
  return ecdsaSignature(alg, r, CURVE_ORDERS[alg] - s)
}

/**
 * Whether the S half of an R||S signature is in the upper half of the group order.
 *
 * @param alg - ES256, ES384 or ES512
 * @param signature - an R||S signature
 * @returns true when `s > n / 2`
 */
export function isHighS(alg: 'ES256' | 'ES384' | 'ES512', signature: Uint8Array): boolean {
  const s = bytesToBigInt(signature.subarray(ECDSA_COMPONENT_BYTES[alg]))
  return s > CURVE_ORDERS[alg] / 2n
}

function derInteger(value: Uint8Array): Buffer {
  let start = 0
  while (start < value.length - 1 && value[start] === 0) start++
  let body = Buffer.from(value.subarray(start))
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.of(0), body])
  return Buffer.concat([Buffer.of(0x02), derLength(body.length), body])
}

function derLength(length: number): Buffer {
  return length < 0x80 ? Buffer.of(length) : Buffer.of(0x81, length)
}

/**
 * Re-encodes an R||S ECDSA signature as the ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }` that
 * X.509 and `dsaEncoding: 'der'` use and JWS forbids.
 *
 * @param signature - an R||S signature (two halves of equal size)
 * @returns the DER signature
 */
export function p1363ToDer(signature: Uint8Array): Buffer {
  const half = signature.length / 2
  const body = Buffer.concat([
    derInteger(signature.subarray(0, half)),
    derInteger(signature.subarray(half)),
  ])
  return Buffer.concat([Buffer.of(0x30), derLength(body.length), body])
}

/**
 * The malleated twin of an Ed25519 signature: `S + L` (little-endian), which a strict verifier
 * (RFC 8032 section 5.1.7, "S < L") must refuse.
 *
 * @param signature - a 64-byte Ed25519 signature
 * @returns the signature with `S` replaced by `S + L`
 */
export function malleateEd25519(signature: Uint8Array): Buffer {
  const s = bytesToBigInt(Buffer.from(signature.subarray(32)).reverse())
  const malleated = bigIntToBytes(s + ED25519_ORDER, 32).reverse()
  return Buffer.concat([signature.subarray(0, 32), malleated])
}
