/**
 * A key ring that rotates itself across instances (`keyRing`). The ring is one document in the
 * store (public JWKs in clear, private keys sealed with AES-256-GCM), replaced only by a
 * compare-and-swap, so that instances racing to rotate agree on one key.
 *
 * The schedule is a function of the document and the clock, so every instance reading the same
 * document signs with the same key at the same moment, without talking to the others:
 *
 * - the signing (`current`) key is the last one whose `activatesAt` has passed;
 * - a `next` key is always in the ring, published (in `jwks()`, and verifying) from its creation,
 *   at least `publishAhead` before it activates;
 * - a key replaced as current stays (`retiring`: it verifies, never signs) until every token it
 *   signed has expired: its successor's activation plus the longest token lifetime and leeway.
 *
 * An instance writes the document only to add the next key, drop a retired one, re-seal under a
 * newer encryption secret, or rotate on demand; it re-reads the document at least every
 * `refreshInterval`, so a change made by another instance reaches it within that time.
 *
 * @packageDocumentation
 */
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import type { ResolvedKeyRing } from '../config/index.ts'
import { AuthXError, BadConfigurationError, StoreUnavailableError } from '../errors.ts'
import type { KeyRingStore, StoredKeyRing } from '../stores/types.ts'
import type { KeySet } from '../token/key-set.ts'
import { bindKey, generateKeyPair } from '../token/keys.ts'
import type { Algorithm, BoundKey } from '../token/keys.ts'
import { open, seal } from '../token/seal.ts'
import type { Sealed, SealingKey } from '../token/seal.ts'

/** One key of the stored ring. */
export interface RingEntry {
  readonly kid: string
  readonly alg: Algorithm
  /** Seconds since the epoch. */
  readonly createdAt: number
  /** When it starts signing. */
  readonly activatesAt: number
  /** The public key, in clear. */
  readonly publicJwk: JsonWebKey
  /** The private key (PKCS#8 DER), sealed. */
  readonly secret: Sealed
}

/** The stored document. */
export interface RingDocument {
  readonly v: 1
  readonly keys: readonly RingEntry[]
}

/** Where a key stands at a moment, from the schedule. */
export type RingKeyState = 'next' | 'current' | 'retiring'

/** A key of the ring as an instance sees it now. */
export interface RingKeyInfo {
  readonly kid: string
  readonly alg: Algorithm
  readonly state: RingKeyState
  readonly activatesAt: number
  /** When it leaves the ring (retiring keys), else null. */
  readonly retiresAt: number | null
}

interface LoadedKey {
  readonly entry: RingEntry
  readonly verify: BoundKey
  readonly sign: BoundKey
}

/** How many times a write is retried after losing a race before giving up for now. */
const MAX_SWAP_ATTEMPTS = 5

/** The self-rotating key ring of one instance, kept in step with the store. */
export class KeyRing implements KeySet {
  readonly #settings: ResolvedKeyRing
  readonly #store: KeyRingStore
  readonly #clock: () => number
  #stored: StoredKeyRing | null = null
  #keys: readonly LoadedKey[] = []
  #version = 0
  #loaded = false
  #dueAt = Number.NEGATIVE_INFINITY
  #pending: Promise<void> | undefined

  /**
   * @param settings - the resolved `keyRing` option
   * @param store - where the ring lives
   * @param clock - the instance's clock, in seconds
   */
  constructor(settings: ResolvedKeyRing, store: KeyRingStore, clock: () => number) {
    this.#settings = settings
    this.#store = store
    this.#clock = clock
  }

  /** Read on every verification: re-reads the ring in the background when it is due. */
  get version(): number {
    this.#refreshIfDue()
    return this.#loaded ? this.#version : Number.NaN
  }

  /**
   * @param alg - the header's algorithm
   * @param kid - the header's key id, if any
   */
  select(
    alg: Algorithm,
    kid: string | undefined,
  ): readonly BoundKey[] | Promise<readonly BoundKey[]> {
    const pick = (): readonly BoundKey[] =>
      this.#keys
        .map((k) => k.verify)
        .filter((k) => k.alg === alg && (kid === undefined || k.kid === kid))
    return this.#loaded ? pick() : this.load().then(pick)
  }

  /** Loads (or re-reads) the ring, creating it when the store has none. */
  load(): Promise<void> {
    this.#pending ??= this.#sync(false, false).finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  /**
   * The key that signs now: the last one whose activation has passed.
   *
   * @throws BadConfigurationError before the ring is loaded (`await auth.ready()` first)
   */
  signingKey(): BoundKey {
    if (!this.#loaded) {
      this.load().catch(() => undefined)
      throw new BadConfigurationError(
        'keyRing: the key ring is not loaded yet; await auth.ready() before creating tokens',
      )
    }
    this.#refreshIfDue()
    return this.#current(this.#clock()).sign
  }

  /** The keys to publish: every key of the ring, next, current and retiring. */
  published(): readonly BoundKey[] {
    return this.#keys.map((k) => k.verify)
  }

  /** Each key's state now, for operators and tests. */
  describe(): RingKeyInfo[] {
    const now = this.#clock()
    const current = this.#current(now)
    return this.#keys.map((k, i) => {
      const next = this.#keys[i + 1]
      const state: RingKeyState =
        k === current ? 'current' : k.entry.activatesAt > now ? 'next' : 'retiring'
      return {
        kid: k.entry.kid,
        alg: k.entry.alg,
        state,
        activatesAt: k.entry.activatesAt,
        retiresAt:
          state === 'retiring' && next !== undefined
            ? next.entry.activatesAt + this.#settings.retention
            : null,
      }
    })
  }

  /**
   * Rotates now: the published next key starts signing at once (a new key, when the ring has no
   * next key), and a new next key is added. Two instances rotating at the same moment rotate
   * twice: this is an operator's action, taken once.
   *
   * @param revokePrevious - drop every older key at once: the tokens they signed stop verifying
   */
  async rotate(revokePrevious: boolean): Promise<void> {
    await this.#pending?.catch(() => undefined)
    const run = this.#sync(true, revokePrevious)
    this.#pending = run.finally(() => {
      this.#pending = undefined
    })
    await run
  }

  #refreshIfDue(): void {
    if (this.#pending !== undefined || this.#clock() < this.#dueAt) return
    this.load().catch(() => undefined)
  }

  #current(now: number): LoadedKey {
    let current = this.#keys[0] as LoadedKey
    for (const key of this.#keys) if (key.entry.activatesAt <= now) current = key
    return current
  }

  /** Reads the store, writes the maintained (or rotated) ring if it changed, installs it. */
  async #sync(rotate: boolean, revokePrevious: boolean): Promise<void> {
    try {
      for (let attempt = 1; ; attempt++) {
        const stored = await this.#store.getKeyRing(this.#settings.name)
        const document =
          stored === null ? { v: 1 as const, keys: [] } : parseDocument(stored.document)
        const now = this.#clock()
        const wanted = this.#maintain(
          rotate ? this.#rotated(document, now, revokePrevious) : document,
          now,
        )
        if (wanted === document) {
          this.#install(stored as StoredKeyRing, document)
          return
        }
        const text = JSON.stringify(wanted)
        const expected = stored?.version ?? 0
        if (await this.#store.swapKeyRing(this.#settings.name, expected, text)) {
          this.#install({ version: expected + 1, document: text }, wanted)
          return
        }
        // Another instance wrote first: start again from what it wrote.
        if (attempt >= MAX_SWAP_ATTEMPTS) {
          throw new StoreUnavailableError({ reason: 'key ring: lost the write race too often' })
        }
      }
    } catch (error) {
      if (error instanceof AuthXError || error instanceof BadConfigurationError) throw error
      throw new StoreUnavailableError({ reason: 'key ring: the store failed', cause: error })
    }
  }

  /** The document with the next key activated now (or a new key, if none was published). */
  #rotated(document: RingDocument, now: number, revokePrevious: boolean): RingDocument {
    const keys = [...document.keys].sort((a, b) => a.activatesAt - b.activatesAt)
    const next = keys.find((k) => k.activatesAt > now)
    const promoted = next === undefined ? this.#newEntry(now, now) : { ...next, activatesAt: now }
    const others = keys.filter((k) => k !== next && k.activatesAt <= now)
    return { v: 1, keys: [...(revokePrevious ? [] : others), promoted] }
  }

  /**
   * The ring as the schedule wants it now: a first key if there is none, retired keys dropped, a
   * next key present, every secret sealed by the newest encryption key. Returns the same object
   * when nothing changes.
   */
  #maintain(document: RingDocument, now: number): RingDocument {
    const { retention, rotateEvery, publishAhead, sealingKeys } = this.#settings
    let keys = [...document.keys].sort((a, b) => a.activatesAt - b.activatesAt)
    let changed = false
    if (keys.length === 0) {
      keys = [this.#newEntry(now, now)]
      changed = true
    }
    // Drop a key once its successor has been current for longer than any token lives.
    const kept = keys.filter((k, i) => {
      const successor = keys[i + 1]
      return successor === undefined || successor.activatesAt > now - retention
    })
    if (kept.length !== keys.length) {
      keys = kept
      changed = true
    }
    // The ring is not empty here: a first key was made above when it was.
    const current = keys.filter((k) => k.activatesAt <= now).at(-1) ?? keys[0]
    if (current !== undefined && !keys.some((k) => k.activatesAt > now)) {
      const activatesAt = Math.max(now + publishAhead, current.activatesAt + rotateEvery)
      keys = [...keys, this.#newEntry(now, activatesAt)]
      changed = true
    }
    const newest = sealingKeys[0]?.id
    if (keys.some((k) => k.secret.by !== newest)) {
      keys = keys.map((k) => (k.secret.by === newest ? k : this.#resealed(k)))
      changed = true
    }
    return changed ? { v: 1, keys } : document
  }

  #newEntry(now: number, activatesAt: number): RingEntry {
    const { algorithm } = this.#settings
    const { privateKey, publicKey } = generateKeyPair(algorithm)
    const kid = randomUUID()
    const der = privateKey.export({ type: 'pkcs8', format: 'der' })
    return {
      kid,
      alg: algorithm,
      createdAt: now,
      activatesAt,
      publicJwk: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })).export({
        format: 'jwk',
      }),
      secret: seal(this.#newestSealingKey(), der, kid),
    }
  }

  /** The secret that seals: the first configured (resolution guarantees there is one). */
  #newestSealingKey(): SealingKey {
    return this.#settings.sealingKeys[0] as SealingKey
  }

  #resealed(entry: RingEntry): RingEntry {
    const der = this.#open(entry)
    return { ...entry, secret: seal(this.#newestSealingKey(), der, entry.kid) }
  }

  #open(entry: RingEntry): Buffer {
    const der = open(this.#settings.sealingKeys, entry.secret, entry.kid)
    if (der === undefined) {
      // Fail closed: never replace a ring we cannot read, which would log everyone out.
      throw new BadConfigurationError(
        `keyRing.encryptionKey: none of the configured keys opens key ${entry.kid} of the ring "${this.#settings.name}"; configure the key it was sealed with (JWT_KEY_ENCRYPTION_KEY, newest first)`,
      )
    }
    return der
  }

  #install(stored: StoredKeyRing, document: RingDocument): void {
    if (this.#stored === null || stored.version !== this.#stored.version) {
      this.#keys = document.keys.map((entry) => {
        const privateKey = createPrivateKey({
          key: this.#open(entry),
          format: 'der',
          type: 'pkcs8',
        })
        return {
          entry,
          sign: bindKey(privateKey, entry.alg, entry.kid),
          verify: bindKey(
            createPublicKey({ key: entry.publicJwk, format: 'jwk' }),
            entry.alg,
            entry.kid,
          ),
        }
      })
      this.#stored = stored
      this.#version++
    }
    this.#loaded = true
    const now = this.#clock()
    // Next look: the periodic re-read, or the schedule's next event, whichever is first.
    const events = this.#keys.flatMap((k, i) => {
      const next = this.#keys[i + 1]
      return [
        k.entry.activatesAt,
        next === undefined ? Infinity : next.entry.activatesAt + this.#settings.retention,
      ]
    })
    this.#dueAt = Math.min(now + this.#settings.refreshInterval, ...events.filter((t) => t > now))
  }
}

/** Reads a stored document, refusing one that is not a ring this library wrote. */
function parseDocument(text: string): RingDocument {
  let document: RingDocument
  try {
    document = JSON.parse(text) as RingDocument
  } catch {
    throw new BadConfigurationError(
      'keyRing: the stored key ring is not JSON; it was not written by authx-ts',
    )
  }
  if (document?.v !== 1 || !Array.isArray(document.keys)) {
    throw new BadConfigurationError('keyRing: the stored key ring has an unknown format')
  }
  return document
}

/**
 * Whether a store can hold the ring, as a clear error at construction when it cannot.
 *
 * @param store - the instance's store
 */
export function keyRingStore(store: unknown): KeyRingStore {
  const candidate = store as Partial<KeyRingStore> | null
  if (typeof candidate?.getKeyRing !== 'function' || typeof candidate.swapKeyRing !== 'function') {
    throw new BadConfigurationError(
      'keyRing: the store cannot hold a key ring (it needs getKeyRing and swapKeyRing, as MemoryStore and RedisStore have)',
    )
  }
  return candidate as KeyRingStore
}
