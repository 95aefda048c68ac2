/**
 * The `keyRing` option, resolved: its timings in seconds, its sealing keys derived, and the
 * retention that decides when a replaced key may leave the ring (the longest time a token it
 * signed can stay valid). Checked at construction, so that a ring that could never retire a key,
 * or whose secrets are weak, is refused before it is created.
 */
import { parseDuration } from '../internal/duration.ts'
import { ALGORITHM_SPECS } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { sealingKey } from '../token/seal.ts'
import type { SealingKey } from '../token/seal.ts'
import type { KeyRingOptions } from './options.ts'
import { algorithmOption, fail, stringOption } from './validators.ts'

/** The resolved `keyRing` option. Times in seconds. */
export interface ResolvedKeyRing {
  readonly algorithm: Algorithm
  readonly rotateEvery: number
  readonly publishAhead: number
  /** The sealing keys, newest first. */
  readonly sealingKeys: readonly SealingKey[]
  readonly name: string
  /** How long after its replacement a key keeps verifying. */
  readonly retention: number
  /** The longest time between two reads of the ring by one instance. */
  readonly refreshInterval: number
}

/** What the retention is computed from: the lifetimes of every token a ring key signs. */
export interface TokenLifetimes {
  readonly accessTokenExpires: number | null
  readonly refreshTokenExpires: number | null
  readonly familyLifetime: number | null
  readonly decodeLeeway: number
}

/** The least length of an encryption secret: 32 random characters carry 128 bits and more. */
const MIN_SECRET_LENGTH = 32

function seconds(name: string, value: unknown, fallback: string): number {
  const result = parseDuration(value ?? fallback)
  if (result === undefined || result <= 0) {
    fail(name, `expected a positive number of seconds or a string like "${fallback}"`)
  }
  return result
}

/** The configured secrets, or `JWT_KEY_ENCRYPTION_KEY`, newest first. */
function secrets(value: unknown): string[] {
  const fromEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.JWT_KEY_ENCRYPTION_KEY
  const given = value ?? fromEnv?.split(',').map((s) => s.trim())
  const list = typeof given === 'string' ? [given] : given
  if (!Array.isArray(list) || list.length === 0) {
    fail(
      'keyRing.encryptionKey',
      'set the secret that seals the ring\'s private keys (or JWT_KEY_ENCRYPTION_KEY); generate one with "npx authx-ts keygen --secret"',
    )
  }
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      fail(
        'keyRing.encryptionKey',
        `each secret must be a string of at least ${MIN_SECRET_LENGTH} random characters`,
      )
    }
  }
  return list as string[]
}

/**
 * Resolves `keyRing`.
 *
 * @param value - the option as given
 * @param lifetimes - the token lifetimes the retention must cover
 * @returns the resolved ring, or null when no ring is configured
 */
export function keyRingOption(value: unknown, lifetimes: TokenLifetimes): ResolvedKeyRing | null {
  if (value === undefined) return null
  if (typeof value !== 'object' || value === null) fail('keyRing', 'expected an object of settings')
  const options = value as KeyRingOptions
  const algorithm = algorithmOption('keyRing.algorithm', options.algorithm, 'EdDSA')
  if (ALGORITHM_SPECS[algorithm].family === 'hmac') {
    fail(
      'keyRing.algorithm',
      `${algorithm} needs a shared secret, which is never published; use EdDSA, ES256, RS256 or PS256`,
    )
  }
  const rotateEvery = seconds('keyRing.rotateEvery', options.rotateEvery, '30d')
  const publishAhead = seconds('keyRing.publishAhead', options.publishAhead, '1h')
  if (publishAhead > rotateEvery) {
    fail(
      'keyRing.publishAhead',
      'must not exceed rotateEvery: a key is published one period ahead at most',
    )
  }
  const { accessTokenExpires, refreshTokenExpires, familyLifetime, decodeLeeway } = lifetimes
  if (accessTokenExpires === null || refreshTokenExpires === null) {
    fail(
      'keyRing',
      'a key ring retires keys once their tokens expire; tokens without exp never do (set accessTokenExpires and refreshTokenExpires)',
    )
  }
  const retention =
    Math.max(accessTokenExpires, refreshTokenExpires, familyLifetime ?? 0) + decodeLeeway
  return Object.freeze({
    algorithm,
    rotateEvery,
    publishAhead,
    sealingKeys: Object.freeze(secrets(options.encryptionKey).map(sealingKey)),
    name: stringOption('keyRing.name', options.name, 'default'),
    retention,
    // Often enough that a change by another instance (an early rotation) arrives well before a
    // verifier could meet its key, and never so often that the store notices.
    refreshInterval: Math.min(60, publishAhead / 4),
  })
}
