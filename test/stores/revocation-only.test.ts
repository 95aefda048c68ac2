/**
 * A store may implement one interface only. This one keeps revocations in two Maps and nothing
 * else, the least a new backend needs for revocation, and it passes the revocation contract that
 * `MemoryStore` and `RedisStore` pass: the narrow interfaces are enough to write, and to prove,
 * a store for one concern.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkArguments } from '../../src/stores/contract.ts'
import type {
  RevocationKind,
  RevocationQuery,
  RevocationStore,
  Store,
} from '../../src/stores/types.ts'
import { runRevocationContract } from './store-contract.ts'

const START = 1_700_000_000

/** An entry and when it may be forgotten. */
interface Entry {
  readonly at: number
  readonly expiresAt: number
}

/** Revocations only, on a clock the test moves. Expired entries are ignored, never swept. */
class MapRevocationStore implements RevocationStore {
  // One map per kind, so that a `jti` and a `sid` with the same text stay apart without any key
  // encoding; subjects keep the latest `at`.
  readonly #ids = new Map<RevocationKind, Map<string, number>>([
    ['jti', new Map()],
    ['sid', new Map()],
    ['fam', new Map()],
  ])
  readonly #subjects = new Map<string, Entry>()
  readonly #clock: () => number

  constructor(clock: () => number) {
    this.#clock = clock
  }

  // Async, so that a failed check is a rejection, as the contract wants.
  async revoke(kind: RevocationKind, id: string, expiresAt: number): Promise<void> {
    checkArguments.revoke('MapRevocationStore', kind, id, expiresAt)
    const ids = this.#ids.get(kind)!
    // Extended, never shortened: a later, shorter revocation must not let a token back early.
    ids.set(id, Math.max(expiresAt, ids.get(id) ?? -Infinity))
  }

  async revokeSubject(sub: string, at: number, expiresAt: number): Promise<void> {
    checkArguments.revokeSubject('MapRevocationStore', sub, at, expiresAt)
    const previous = this.#subjects.get(sub)
    const current = this.#live(previous?.expiresAt) ? previous : undefined
    this.#subjects.set(sub, {
      at: Math.max(at, current?.at ?? at),
      expiresAt: Math.max(expiresAt, current?.expiresAt ?? expiresAt),
    })
  }

  async isRevoked(query: RevocationQuery): Promise<boolean> {
    checkArguments.isRevoked('MapRevocationStore', query)
    for (const kind of ['jti', 'sid', 'fam'] as const) {
      const id = query[kind]
      if (id !== undefined && this.#live(this.#ids.get(kind)!.get(id))) return true
    }
    const subject = this.#subjects.get(query.sub)
    if (subject === undefined || !this.#live(subject.expiresAt)) return false
    // No `iat`: the token's age cannot be proven, so it is revoked (fail closed).
    return query.iat === undefined || query.iat <= subject.at
  }

  #live(expiresAt: number | undefined): boolean {
    return expiresAt !== undefined && expiresAt > this.#clock()
  }
}

runRevocationContract('MapRevocationStore', () => {
  let now = START
  return {
    store: new MapRevocationStore(() => now),
    now: () => now,
    advance: (seconds) => {
      now += seconds
      return Promise.resolve()
    },
  }
})

void test('a revocation-only store is a RevocationStore and not a whole Store', () => {
  const store: RevocationStore = new MapRevocationStore(() => START)
  // @ts-expect-error it has no refresh-token, session or rate-limit methods
  const whole: Store = store
  assert.equal('useRefreshToken' in whole, false)
})
