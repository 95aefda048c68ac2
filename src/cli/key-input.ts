/**
 * Keys as a user hands them to the command line: a PEM file (private key, public key or
 * certificate; several blocks, as `keygen` prints them, are several keys or one pair), a JWK, or
 * a JWK Set. Each key comes out as a `KeyObject` with the `kid` and `alg` its JWK carried, and the
 * algorithm is settled here: `--alg`, else the JWK's own, else the one its curve allows.
 *
 * @packageDocumentation
 */
import { createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { ALGORITHM_SPECS, isAlgorithm } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { UsageError } from './io.ts'

/** One key read from a file. */
export interface InputKey {
  /** The key as given: private, public or secret. */
  readonly key: KeyObject
  /** The JWK's `kid`, if it had one. */
  readonly kid: string | undefined
  /** The JWK's `alg`, if it had one. */
  readonly alg: Algorithm | undefined
  /** Where it came from, for messages. */
  readonly source: string
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g

/** The algorithm an EC curve or an Ed25519 key allows; RSA keys and secrets allow several. */
const CURVE_ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

function fromJWK(jwk: Record<string, unknown>, source: string): InputKey {
  if (typeof jwk.kty !== 'string') throw new UsageError(`${source}: a JWK needs a "kty" member`)
  if (jwk.alg !== undefined && !isAlgorithm(jwk.alg)) {
    throw new UsageError(`${source}: the JWK's alg ${JSON.stringify(jwk.alg)} is not supported`)
  }
  const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
  let key: KeyObject
  try {
    if (jwk.kty === 'oct') {
      if (typeof jwk.k !== 'string') throw new Error('no k')
      key = createSecretKey(Buffer.from(jwk.k, 'base64url'))
    } else if (jwk.d !== undefined) {
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' })
    } else {
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' })
    }
  } catch {
    throw new UsageError(
      `${source}: not a usable JWK (kty ${jwk.kty}${kid === undefined ? '' : `, kid ${kid}`})`,
    )
  }
  return { key, kid, alg: jwk.alg, source }
}

function fromJSON(text: string, source: string): InputKey[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsageError(`${source}: not valid JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${source}: expected a JWK or a JWK Set`)
  }
  const record = value as Record<string, unknown>
  // A JWK Set, or keygen's JSON output ({ kid, alg, privateKey, publicKey }): its private half.
  if (Array.isArray(record.keys)) {
    return record.keys.map((jwk: unknown, i) => {
      if (typeof jwk !== 'object' || jwk === null)
        throw new UsageError(`${source}: keys[${i}] is not a JWK`)
      return fromJWK(jwk as Record<string, unknown>, `${source} keys[${i}]`)
    })
  }
  if (typeof record.privateKey === 'object' && record.privateKey !== null) {
    return [fromJWK(record.privateKey as Record<string, unknown>, source)]
  }
  return [fromJWK(record, source)]
}

function fromPEM(text: string, source: string): InputKey[] {
  const blocks = [...text.matchAll(PEM_BLOCK)]
  if (blocks.length === 0) throw new UsageError(`${source}: no PEM block, JWK or JWK Set found`)
  const keys: InputKey[] = []
  const seen = new Set<string>()
  for (const [pem, label] of blocks) {
    let key: KeyObject
    try {
      key = label?.includes('PRIVATE') === true ? createPrivateKey(pem) : createPublicKey(pem)
    } catch {
      throw new UsageError(`${source}: the ${label ?? 'PEM'} block is not a usable key`)
    }
    // A private key and its own public key (keygen's two blocks) are one key, not two.
    const id = publicHalf(key).export({ type: 'spki', format: 'der' }).toString('base64')
    if (seen.has(id)) continue
    seen.add(id)
    keys.push({ key, kid: undefined, alg: undefined, source })
  }
  // keygen writes "kid:" and "alg:" lines ahead of its blocks (text outside a PEM block is
  // allowed, RFC 7468 section 5.2): they belong to the one key of the file.
  const preamble = text.slice(0, blocks[0]?.index ?? 0)
  const kid = /^kid: *(\S+) *$/m.exec(preamble)?.[1]
  const alg = /^alg: *(\S+) *$/m.exec(preamble)?.[1]
  if (keys.length === 1 && (kid !== undefined || alg !== undefined)) {
    if (alg !== undefined && !isAlgorithm(alg)) {
      throw new UsageError(`${source}: alg ${alg} is not supported`)
    }
    return [{ ...(keys[0] as InputKey), kid, alg }]
  }
  // The private key first: a file with a pair must sign when it can.
  return keys.sort((a, b) => Number(b.key.type === 'private') - Number(a.key.type === 'private'))
}

/**
 * Reads the keys a file holds.
 *
 * @param text - the file's content
 * @param source - its name, for messages
 * @throws UsageError when it holds no usable key
 */
export function parseKeys(text: string, source: string): InputKey[] {
  const trimmed = text.trim()
  if (trimmed === '') throw new UsageError(`${source}: empty`)
  return trimmed.startsWith('{') ? fromJSON(trimmed, source) : fromPEM(trimmed, source)
}

/**
 * The public half of an asymmetric key (the key itself when it is public).
 *
 * @param key - a private or public key
 */
export function publicHalf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key
}

/**
 * The one algorithm a key can serve without being told, or undefined when it could serve several
 * (an RSA key: RS256 to PS512; a secret: HS256 to HS512).
 *
 * @param key - the key
 */
export function impliedAlgorithm(key: KeyObject): Algorithm | undefined {
  if (key.type === 'secret') return undefined
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve === undefined ? undefined : CURVE_ALGORITHMS[curve]
}

/**
 * Whether `alg` is of the family a key belongs to: HS* for a secret, RS* and PS* for RSA, and
 * the one algorithm of a curve.
 *
 * @param key - the key
 * @param alg - the algorithm
 */
export function fitsKey(key: KeyObject, alg: Algorithm): boolean {
  const family = ALGORITHM_SPECS[alg].family
  if (key.type === 'secret') return family === 'hmac'
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return family === 'rsa' || family === 'pss'
  }
  return impliedAlgorithm(key) === alg
}

/**
 * The algorithm a key is used with: `--alg`, else the JWK's `alg`, else the one its type allows.
 *
 * @param input - the key
 * @param flag - the `--alg` option
 * @returns the algorithm, or undefined when the key could serve several and nobody said which
 */
export function algorithmOf(input: InputKey, flag: Algorithm | undefined): Algorithm | undefined {
  return flag ?? input.alg ?? impliedAlgorithm(input.key)
}
