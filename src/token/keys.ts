/**
 * Key import and algorithm binding. Every configured key is turned into a `KeyObject` once, at
 * construction, and bound to exactly one algorithm: the token header's `alg` can only choose
 * among these bindings, never change how a key is used (RFC 8725 section 2.1 and 3.1).
 */
import {
  KeyObject,
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
} from 'node:crypto'
import type { AsymmetricKeyDetails } from 'node:crypto'
import { BadConfigurationError } from '../errors.ts'
import { honoursPSSPadding } from './crypto-support.ts'

/** Every signing algorithm authx-ts supports. `none` is not one of them, by design. */
export const ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const

/** A JWS algorithm name supported by authx-ts. */
export type Algorithm = (typeof ALGORITHMS)[number]

/** A JSON Web Key as a plain object (RFC 7517). */
export type JWKInput = { kty: string } & Record<string, unknown>

/**
 * Anything that can be used as a key: a secret string or bytes (HS*), a PEM string or buffer
 * (SPKI, PKCS#8, PKCS#1, X.509 certificate), a JWK object, a Node `KeyObject` or a WebCrypto
 * `CryptoKey`.
 */
export type KeyInput = string | Uint8Array | KeyObject | CryptoKey | JWKInput

/** How an algorithm signs: its family, hash and, for ECDSA, curve and signature size. */
export interface AlgorithmSpec {
  family: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa'
  /** Node digest name, or null for EdDSA (the hash is part of the scheme). */
  hash: 'sha256' | 'sha384' | 'sha512' | null
  /** Bytes of the hash output: the minimum HMAC secret length (RFC 7518 section 3.2). */
  hashBytes: number
  /** For ECDSA: the Node curve name and the exact R||S signature length. */
  curve?: string
  signatureBytes?: number
}

/** The static table of algorithm properties. */
export const ALGORITHM_SPECS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  HS256: { family: 'hmac', hash: 'sha256', hashBytes: 32 },
  HS384: { family: 'hmac', hash: 'sha384', hashBytes: 48 },
  HS512: { family: 'hmac', hash: 'sha512', hashBytes: 64 },
  RS256: { family: 'rsa', hash: 'sha256', hashBytes: 32 },
  RS384: { family: 'rsa', hash: 'sha384', hashBytes: 48 },
  RS512: { family: 'rsa', hash: 'sha512', hashBytes: 64 },
  PS256: { family: 'pss', hash: 'sha256', hashBytes: 32 },
  PS384: { family: 'pss', hash: 'sha384', hashBytes: 48 },
  PS512: { family: 'pss', hash: 'sha512', hashBytes: 64 },
  ES256: {
    family: 'ecdsa',
    hash: 'sha256',
    hashBytes: 32,
    curve: 'prime256v1',
    signatureBytes: 64,
  },
  ES384: { family: 'ecdsa', hash: 'sha384', hashBytes: 48, curve: 'secp384r1', signatureBytes: 96 },
  ES512: {
    family: 'ecdsa',
    hash: 'sha512',
    hashBytes: 64,
    curve: 'secp521r1',
    signatureBytes: 132,
  },
  EdDSA: { family: 'eddsa', hash: null, hashBytes: 64 },
}

/** A key bound to one algorithm, ready for the hot path. */
export interface BoundKey {
  readonly alg: Algorithm
  readonly spec: AlgorithmSpec
  readonly key: KeyObject
  /** The `kid` this key answers to, if one was configured. */
  readonly kid: string | undefined
  /**
   * The issuer this key speaks for, when the instance trusts several (`issuers`): a token it
   * verifies must carry this `iss`. Undefined for the instance's own keys.
   */
  readonly issuer: string | undefined
}

/**
 * Whether `value` names a supported algorithm.
 *
 * @param value - anything
 */
export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && (ALGORITHMS as readonly string[]).includes(value)
}

function isKeyObject(value: unknown): value is KeyObject {
  return value instanceof KeyObject
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

function isJWK(value: unknown): value is JWKInput {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as { kty?: unknown }).kty === 'string'
  )
}

function looksLikePEM(value: string | Uint8Array): boolean {
  const text = typeof value === 'string' ? value : Buffer.from(value).toString('latin1')
  return text.includes('-----BEGIN')
}

/**
 * Whether DER bytes parse as a public key, a private key or an X.509 certificate in any of the
 * usual containers. A certificate carries a public key just as an SPKI does, and an encrypted
 * PKCS#8 key is still a key: all of them are material an HMAC secret must never be.
 */
function parsesAsDER(der: Buffer): boolean {
  // Every one of these containers is an ASN.1 SEQUENCE; skip the parsers for anything else.
  if (der[0] !== 0x30) return false
  const attempts = [
    (): unknown => createPublicKey({ key: der, format: 'der', type: 'spki' }),
    (): unknown => createPublicKey({ key: der, format: 'der', type: 'pkcs1' }),
    (): unknown => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
    (): unknown => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }),
    (): unknown => createPrivateKey({ key: der, format: 'der', type: 'sec1' }),
    (): unknown => new X509Certificate(der),
  ]
  for (const attempt of attempts) {
    try {
      attempt()
      return true
    } catch (error) {
      // An encrypted PKCS#8 key parses far enough for OpenSSL to ask for its passphrase.
      if ((error as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') return true
      // otherwise not this container; try the next
    }
  }
  return false
}

/**
 * The key type names of SSH public keys (RFC 4253 section 6.6, RFC 5656, RFC 8709, OpenSSH's
 * `sk-` and certificate types). Every SSH public key blob and `authorized_keys` line names one.
 */
const SSH_KEY_TYPE = /^(?:ssh|ecdsa|sk|x509v3)-[a-z0-9@.-]+$/

/**
 * Whether bytes are an SSH public key blob: a uint32 length, then a key type name of that length.
 * A random secret starts that way with a probability far below 2^-60.
 */
function isSSHBlob(bytes: Buffer): boolean {
  if (bytes.length < 8) return false
  const length = bytes.readUInt32BE(0)
  if (length < 5 || length > 64 || bytes.length < 4 + length) return false
  return SSH_KEY_TYPE.test(bytes.subarray(4, 4 + length).toString('latin1'))
}

/** The key type names OpenSSH writes at the start of a public key line, certificates included. */
const SSH_LINE_TYPE =
  /^(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519|sk-ecdsa-sha2-nistp256)(?:-cert-v0[01])?(?:@openssh\.com)?$/

/**
 * Whether text holds an SSH public key: an `authorized_keys` or `.pub` line (`ssh-ed25519 AAAA...
 * comment`, options first allowed), its base64 blob alone, or the RFC 4716 armour.
 */
function isSSHText(text: string): boolean {
  if (/^---- BEGIN SSH2 PUBLIC KEY ----$/m.test(text)) return true
  for (const word of text.split(/\s+/)) {
    // A blob's 4-byte length is below 2^24, so its base64 always starts with "AAAA".
    if (/^AAAA[A-Za-z0-9+/]+={0,2}$/.test(word) && isSSHBlob(Buffer.from(word, 'base64'))) {
      return true
    }
  }
  // A key type and the start of a blob, even when the rest of the line is damaged; a passphrase
  // that merely begins with "ssh-rsa" is not refused.
  return text.split(/\r?\n/).some((line) => {
    const [type = '', blob = ''] = line.trim().split(/\s+/, 2)
    return SSH_LINE_TYPE.test(type) && blob.startsWith('AAAA')
  })
}

/** Whether a parsed JSON value is a JWK, a JWK Set (`{"keys": [...]}`) or an array of JWKs. */
function isJWKDocument(value: unknown): boolean {
  if (isJWK(value)) return true
  if (Array.isArray(value)) return value.some(isJWK)
  const keys = typeof value === 'object' && value !== null ? (value as { keys?: unknown }).keys : []
  return Array.isArray(keys) && keys.some(isJWK)
}

/** Whether text is a JWK, a JWK Set or an array of JWKs serialised as JSON. */
function isJWKText(text: string): boolean {
  if (!text.startsWith('{') && !text.startsWith('[')) return false
  try {
    return isJWKDocument(JSON.parse(text))
  } catch {
    // not JSON: an ordinary secret that starts with a brace
    return false
  }
}

/**
 * The bytes `text` stands for if it is one of the text encodings of binary data, whitespace and
 * line breaks ignored: hex (also `30:82:...` as `openssl` prints it), base64 with or without
 * padding, base64url. A random secret decodes too; only what the bytes parse as decides.
 */
function decodings(text: string): Buffer[] {
  const compact = text.replace(/\s+/g, '')
  const decoded: Buffer[] = []
  const hex = /^[0-9a-f]{2}(?::[0-9a-f]{2})+$/i.test(compact)
    ? compact.replaceAll(':', '')
    : compact
  if (/^(?:[0-9a-f]{2})+$/i.test(hex)) decoded.push(Buffer.from(hex, 'hex'))
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) decoded.push(Buffer.from(compact, 'base64'))
  // Without "-" or "_" a base64url string decodes exactly as base64, already tried above.
  if (/^[A-Za-z0-9_-]+={0,2}$/.test(compact) && /[-_]/.test(compact)) {
    decoded.push(Buffer.from(compact, 'base64url'))
  }
  return decoded
}

/**
 * Whether the bytes of an HMAC secret are key or certificate material rather than a random
 * secret: DER (SPKI, PKCS#1, PKCS#8, SEC1, X.509), PEM, a JWK or JWK Set as JSON text, an SSH
 * public key, or any of these once more in hex, base64 or base64url. Such a secret is public
 * material (or a private key misused), the set-up of algorithm confusion (CVE-2015-9235): anyone
 * holding the public key could sign tokens. Checked once, at construction; each step is a parse
 * of at most a few kilobytes, and the decoded forms are not decoded again.
 *
 * @param bytes - the secret's bytes
 * @param decode - whether to try the text encodings of the bytes as well
 */
function isKeyMaterial(bytes: Buffer, decode = true): boolean {
  if (parsesAsDER(bytes) || isSSHBlob(bytes)) return true
  const text = bytes.toString('utf8').trim()
  if (looksLikePEM(text) || isJWKText(text) || isSSHText(text)) return true
  return decode && decodings(text).some((decoded) => isKeyMaterial(decoded, false))
}

/** What a key is imported for: the JWK `key_ops` / WebCrypto usage it must allow. */
type KeyOperation = 'sign' | 'verify'

/**
 * Honours the restrictions a JWK states about itself (RFC 7517 sections 4.2-4.4), as jose does:
 * `use` must be "sig", `key_ops` must include the operation, and `alg` must be the algorithm the
 * key is being bound to. A key published for encryption, or for another algorithm, must not
 * quietly start verifying tokens (RFC 8725 section 3.1: one key, one algorithm).
 */
function checkJWKRestrictions(
  jwk: JWKInput,
  alg: Algorithm,
  operation: KeyOperation,
  option: string,
): void {
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw new BadConfigurationError(
      `${option}: the JWK's "use" is ${JSON.stringify(jwk.use)}; a key for ${alg} needs "use": "sig" or no "use"`,
    )
  }
  if (
    jwk.key_ops !== undefined &&
    !(Array.isArray(jwk.key_ops) && (jwk.key_ops as unknown[]).includes(operation))
  ) {
    throw new BadConfigurationError(
      `${option}: the JWK's "key_ops" does not include "${operation}"; fix key_ops or omit it`,
    )
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new BadConfigurationError(
      `${option}: the JWK's "alg" is ${JSON.stringify(jwk.alg)}, not ${alg}; configure the algorithm the key was made for`,
    )
  }
}

/** The WebCrypto algorithm name a CryptoKey of each family carries. */
const WEBCRYPTO_NAMES: Readonly<Record<AlgorithmSpec['family'], string>> = {
  hmac: 'HMAC',
  rsa: 'RSASSA-PKCS1-v1_5',
  pss: 'RSA-PSS',
  ecdsa: 'ECDSA',
  eddsa: 'Ed25519',
}

/**
 * Converts a CryptoKey, honouring what it says it is for. `KeyObject.from` drops a CryptoKey's
 * algorithm and usages, so an AES, RSA-OAEP or ECDH key, or an RSASSA/HMAC key made for another
 * hash, would otherwise be bound to any algorithm of the same key type. As WebCrypto itself and
 * jose do: same algorithm, same hash (for HMAC/RSA), and the usage we need. A key of the wrong
 * type (private where public belongs...) is returned as is, for the caller's clearer message.
 */
function fromCryptoKey(
  input: CryptoKey,
  alg: Algorithm,
  operation: KeyOperation,
  option: string,
): KeyObject {
  const key = KeyObject.from(input)
  const spec = ALGORITHM_SPECS[alg]
  const wanted = spec.family === 'hmac' ? 'secret' : operation === 'sign' ? 'private' : 'public'
  if (key.type !== wanted) return key
  const algorithm = input.algorithm as { name: string; hash?: { name?: string } }
  const name = WEBCRYPTO_NAMES[spec.family]
  const hash = spec.hash === null ? undefined : `SHA-${spec.hash.slice(3)}`
  const hashBound = spec.family === 'hmac' || spec.family === 'rsa' || spec.family === 'pss'
  if (algorithm.name !== name || (hashBound && algorithm.hash?.name !== hash)) {
    const have = `${algorithm.name}${algorithm.hash?.name ? ` with ${algorithm.hash.name}` : ''}`
    throw new BadConfigurationError(
      `${option}: this CryptoKey is for ${have}, not ${alg}; generate or import it as ${name}${hashBound ? ` with ${hash}` : ''}`,
    )
  }
  if (!input.usages.includes(operation)) {
    throw new BadConfigurationError(
      `${option}: this CryptoKey's usages do not include "${operation}"; create it with that usage`,
    )
  }
  return key
}

/**
 * Imports an HMAC secret and checks it: a secret key, not key or certificate material in any
 * encoding, at least as long as the hash output.
 */
function importSecret(
  input: KeyInput,
  alg: Algorithm,
  option: string,
  operation: KeyOperation,
): KeyObject {
  let key: KeyObject
  if (isKeyObject(input)) key = input
  else if (isCryptoKey(input)) key = fromCryptoKey(input, alg, operation, option)
  else if (isJWK(input)) {
    if (input.kty !== 'oct' || typeof input.k !== 'string') {
      throw new BadConfigurationError(`${option}: ${alg} needs an "oct" JWK with a "k" member`)
    }
    checkJWKRestrictions(input, alg, operation, option)
    key = createSecretKey(Buffer.from(input.k, 'base64url'))
  } else if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    // `Buffer.from` would throw a bare TypeError on a JWK Set or any other object, or copy an
    // array-like; say what a secret may be instead.
    if (isJWKDocument(input)) {
      throw new BadConfigurationError(
        `${option}: a JWK Set cannot be an ${alg} secret; give one "oct" JWK, or publicKey with an asymmetric algorithm`,
      )
    }
    throw new BadConfigurationError(
      `${option}: ${alg} needs a secret as a string, bytes, an "oct" JWK, a secret KeyObject or an HMAC CryptoKey, got ${typeof input}`,
    )
  } else {
    // A PEM given as an HMAC secret is the classic algorithm-confusion setup (CVE-2015-9235):
    // refuse it outright rather than sign with public material.
    if (looksLikePEM(input)) {
      throw new BadConfigurationError(
        `${option}: a PEM key cannot be an ${alg} secret; use an RS/PS/ES/EdDSA algorithm with publicKey/privateKey, or a random secret`,
      )
    }
    key = createSecretKey(typeof input === 'string' ? Buffer.from(input, 'utf8') : input)
  }
  if (key.type !== 'secret') {
    throw new BadConfigurationError(
      `${option}: ${alg} needs a secret, got a ${key.type} key; use an asymmetric algorithm for key pairs`,
    )
  }
  // Checked on the key's bytes, whatever form carried them: an "oct" JWK, a secret KeyObject or an
  // HMAC CryptoKey made from a public key's DER is the same confusion as the DER given directly.
  if (isKeyMaterial(key.export())) {
    throw new BadConfigurationError(
      `${option}: this ${alg} secret is an encoded key or certificate (DER, PEM, JWK or JWK Set JSON, SSH public key, or one of these in hex/base64/base64url), not a random secret; use an RS/PS/ES/EdDSA algorithm with publicKey/privateKey, or a random secret`,
    )
  }
  const spec = ALGORITHM_SPECS[alg]
  const size = key.symmetricKeySize ?? 0
  if (size < spec.hashBytes) {
    throw new BadConfigurationError(
      `${option}: ${alg} needs a secret of at least ${spec.hashBytes} bytes (RFC 7518 section 3.2), got ${size}; generate one with \`openssl rand -base64 ${spec.hashBytes}\``,
    )
  }
  return key
}

/**
 * An `rsa-pss` key may carry parameter restrictions (RFC 4055 section 3.1). OpenSSL enforces them
 * on every sign and verify by throwing, so a key restricted to another hash or to a longer salt
 * would turn every token into a raw crypto error (a 500 instead of a 401); a different MGF1 hash
 * would quietly yield signatures that are not PSxxx at all. Refuse them at construction.
 */
function checkPSSRestrictions(details: AsymmetricKeyDetails, alg: Algorithm, option: string): void {
  const spec = ALGORITHM_SPECS[alg]
  const { hashAlgorithm, mgf1HashAlgorithm, saltLength } = details
  if (
    (hashAlgorithm !== undefined && hashAlgorithm !== spec.hash) ||
    (mgf1HashAlgorithm !== undefined && mgf1HashAlgorithm !== spec.hash) ||
    (saltLength !== undefined && saltLength > spec.hashBytes)
  ) {
    throw new BadConfigurationError(
      `${option}: this RSASSA-PSS key is restricted to hash ${hashAlgorithm ?? 'any'}, MGF1 ${mgf1HashAlgorithm ?? 'any'} and a salt of at least ${saltLength ?? 0} bytes, but ${alg} uses ${spec.hash}, MGF1 ${spec.hash} and ${spec.hashBytes} bytes; use an unrestricted RSA key or one restricted to exactly these`,
    )
  }
}

/** Checks that an asymmetric key matches the algorithm (type, curve, RSA size). */
function checkAsymmetricKey(key: KeyObject, alg: Algorithm, option: string): void {
  const spec = ALGORITHM_SPECS[alg]
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  const mismatch = (want: string): never => {
    throw new BadConfigurationError(
      `${option}: ${alg} needs ${want} key, got ${type ?? key.type}; pick the algorithm that matches the key`,
    )
  }
  switch (spec.family) {
    case 'rsa':
    case 'pss': {
      if (type !== 'rsa' && !(spec.family === 'pss' && type === 'rsa-pss')) mismatch('an RSA')
      if (type === 'rsa-pss') checkPSSRestrictions(details, alg, option)
      if (spec.family === 'pss' && !honoursPSSPadding()) {
        throw new BadConfigurationError(
          `${option}: ${alg} is not available on this runtime: its node:crypto ignores the RSA-PSS padding and would sign and verify PKCS#1 v1.5 instead; use RS${alg.slice(2)}, ES256 or EdDSA`,
        )
      }
      if ((details.modulusLength ?? 0) < 2048) {
        throw new BadConfigurationError(
          `${option}: RSA keys must have at least 2048 bits (RFC 7518 section 3.3), got ${details.modulusLength ?? 0}; generate a 2048-bit or larger key`,
        )
      }
      // Node imports any exponent. With e = 1 a "signature" is its own padded message (s^1 = s),
      // so anyone can forge one; an even e is not an RSA key at all (Wycheproof exponentOne).
      const exponent = details.publicExponent ?? 0n
      if (exponent < 3n || exponent % 2n === 0n) {
        throw new BadConfigurationError(
          `${option}: RSA public exponent ${exponent} is unusable; it must be odd and at least 3 (65537 is standard)`,
        )
      }
      return
    }
    case 'ecdsa':
      if (type !== 'ec') mismatch('an EC')
      if (details.namedCurve !== spec.curve) {
        throw new BadConfigurationError(
          `${option}: ${alg} needs an EC key on curve ${spec.curve}, got ${details.namedCurve ?? 'unknown'}`,
        )
      }
      return
    case 'eddsa':
      if (type !== 'ed25519') mismatch('an Ed25519')
      return
    case 'hmac':
      return
  }
}

/**
 * Imports a verification key for `alg`. Private keys are refused where a public key belongs:
 * handing a verifier private material is a configuration mistake worth stopping.
 *
 * @param input - the configured key
 * @param alg - the algorithm the key is bound to
 * @param option - the option name, for error messages
 * @throws BadConfigurationError when the key cannot serve `alg`
 */
export function importVerifyKey(input: KeyInput, alg: Algorithm, option: string): KeyObject {
  if (ALGORITHM_SPECS[alg].family === 'hmac') return importSecret(input, alg, option, 'verify')
  let key: KeyObject
  try {
    if (isKeyObject(input)) key = input
    else if (isCryptoKey(input)) key = fromCryptoKey(input, alg, 'verify', option)
    else if (isJWK(input)) {
      // A member set to undefined is absent (workerd's exportKey('jwk') lists every member).
      if (input.d !== undefined) throw privateWherePublic(option)
      checkJWKRestrictions(input, alg, 'verify', option)
      key = createPublicKey({ key: input as import('node:crypto').JsonWebKey, format: 'jwk' })
    } else {
      const pem = typeof input === 'string' ? input : Buffer.from(input).toString('utf8')
      if (/PRIVATE KEY-----/.test(pem)) throw privateWherePublic(option)
      key = createPublicKey(pem)
    }
  } catch (error) {
    if (error instanceof BadConfigurationError) throw error
    throw new BadConfigurationError(
      `${option}: not a usable public key for ${alg} (expected PEM SPKI/PKCS#1/certificate, JWK, KeyObject or CryptoKey)`,
    )
  }
  if (key.type === 'private') throw privateWherePublic(option)
  if (key.type !== 'public') {
    throw new BadConfigurationError(`${option}: ${alg} needs a public key, got a ${key.type} key`)
  }
  checkAsymmetricKey(key, alg, option)
  return key
}

function privateWherePublic(option: string): BadConfigurationError {
  return new BadConfigurationError(
    `${option}: a private key was given where a public key belongs; pass the public half (or set privateKey for signing)`,
  )
}

/**
 * Imports a signing key for `alg`.
 *
 * @param input - the configured key
 * @param alg - the algorithm the key is bound to
 * @param option - the option name, for error messages
 * @throws BadConfigurationError when the key cannot sign with `alg`
 */
export function importSignKey(input: KeyInput, alg: Algorithm, option: string): KeyObject {
  if (ALGORITHM_SPECS[alg].family === 'hmac') return importSecret(input, alg, option, 'sign')
  let key: KeyObject
  try {
    if (isKeyObject(input)) key = input
    else if (isCryptoKey(input)) key = fromCryptoKey(input, alg, 'sign', option)
    else if (isJWK(input)) {
      checkJWKRestrictions(input, alg, 'sign', option)
      key = createPrivateKey({ key: input as import('node:crypto').JsonWebKey, format: 'jwk' })
    } else key = createPrivateKey(typeof input === 'string' ? input : Buffer.from(input))
  } catch (error) {
    if (error instanceof BadConfigurationError) throw error
    throw new BadConfigurationError(
      `${option}: not a usable private key for ${alg} (expected PEM PKCS#8/PKCS#1/SEC1, JWK, KeyObject or CryptoKey)`,
    )
  }
  if (key.type !== 'private') {
    throw new BadConfigurationError(
      `${option}: ${alg} signing needs a private key, got a ${key.type} key`,
    )
  }
  checkAsymmetricKey(key, alg, option)
  return key
}

/**
 * Binds a key to an algorithm.
 *
 * @param key - the imported key
 * @param alg - its one algorithm
 * @param kid - the key id it answers to, if any
 * @param issuer - the trusted issuer it speaks for, if the instance trusts several
 */
export function bindKey(
  key: KeyObject,
  alg: Algorithm,
  kid: string | undefined,
  issuer?: string,
): BoundKey {
  return Object.freeze({ alg, spec: ALGORITHM_SPECS[alg], key, kid, issuer })
}

/**
 * A new key pair for an asymmetric algorithm: Ed25519, the algorithm's curve, or an RSA key of
 * `bits` (RS* and PS* alike).
 *
 * @param alg - the algorithm the pair is for
 * @param bits - the RSA modulus length
 * @throws TypeError for an HMAC algorithm, which takes a secret, not a key pair
 */
export function generateKeyPair(
  alg: Algorithm,
  bits = 2048,
): { privateKey: KeyObject; publicKey: KeyObject } {
  const spec = ALGORITHM_SPECS[alg]
  switch (spec.family) {
    case 'eddsa':
      return generateKeyPairSync('ed25519')
    case 'ecdsa':
      return generateKeyPairSync('ec', { namedCurve: spec.curve as string })
    case 'rsa':
    case 'pss':
      return generateKeyPairSync('rsa', { modulusLength: bits })
    case 'hmac':
      throw new TypeError(`${alg} takes a shared secret, not a key pair`)
  }
}
