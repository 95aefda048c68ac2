/**
 * A key ring's document as the store holds it, read without its encryption key: the commands
 * need only each key's id, algorithm, activation time and public JWK, which are stored in clear.
 *
 * @packageDocumentation
 */
import type { JsonWebKey } from 'node:crypto'
import type { RingEntry } from '../core/key-ring.ts'
import { isAlgorithm } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { CommandFailure } from './io.ts'

/** The clear part of one stored key. */
export interface StoredRingKey {
  readonly kid: string
  readonly alg: Algorithm
  /** Seconds since the epoch. */
  readonly activatesAt: number
  readonly publicJwk: JsonWebKey
}

function isEntry(
  value: unknown,
): value is Pick<RingEntry, 'kid' | 'alg' | 'activatesAt' | 'publicJwk'> {
  const entry = value as Partial<Record<keyof RingEntry, unknown>> | null
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.kid === 'string' &&
    isAlgorithm(entry.alg) &&
    typeof entry.activatesAt === 'number' &&
    typeof entry.publicJwk === 'object' &&
    entry.publicJwk !== null
  )
}

/**
 * The keys of a stored ring, oldest activation first.
 *
 * @param text - the stored document
 * @param where - the ring's location, for messages
 * @throws CommandFailure when the document is not a ring this library wrote
 */
export function readRingDocument(text: string, where: string): StoredRingKey[] {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    throw new CommandFailure(`${where}: the stored document is not JSON`)
  }
  const { v, keys } = (document ?? {}) as { v?: unknown; keys?: unknown }
  if (v !== 1 || !Array.isArray(keys) || keys.length === 0 || !keys.every(isEntry)) {
    throw new CommandFailure(`${where}: the stored document has an unknown format`)
  }
  return keys
    .map(({ kid, alg, activatesAt, publicJwk }) => ({ kid, alg, activatesAt, publicJwk }))
    .sort((a, b) => a.activatesAt - b.activatesAt)
}

/**
 * The key that signs at `now`: the last one whose activation has passed (the first, if none has).
 *
 * @param keys - the ring's keys, oldest activation first
 * @param now - seconds since the epoch
 */
export function currentKey(keys: readonly StoredRingKey[], now: number): StoredRingKey {
  return keys.filter((k) => k.activatesAt <= now).at(-1) ?? (keys[0] as StoredRingKey)
}
