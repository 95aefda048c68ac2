/**
 * The heap-backed expiring map under `MemoryStore`: expiry, the cap (refusal for security state,
 * eviction of the evictable kind), `extend`, the removal hook, and the heap itself, checked
 * against a plain model (a Map of key to value and expiry, scanned in full) under random
 * operations. A wrong heap shows up as a wrong eviction victim, a missed sweep or a stale read.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { StoreUnavailableError } from '../../src/errors.ts'
import { ExpiringMap, ExpiringSet } from '../../src/internal/expiring-map.ts'
import type { ExpiringCapacity } from '../../src/internal/expiring-map.ts'

/** Fixed seed: a CI failure reproduces exactly. */
const SEED = 20_260_512
const T = 1_000

type Action = 'refused' | 'evicted'

/** A capacity that records what it is told. */
function capacity(maxEntries: number, evictable: boolean): ExpiringCapacity & { told: Action[] } {
  const told: Action[] = []
  return {
    maxEntries,
    evictable,
    reason: `cap ${maxEntries} reached`,
    told,
    report: (action) => told.push(action),
  }
}

/** Asserts a `StoreUnavailableError` (503) carrying the capacity's reason. */
function assertRefused(run: () => void, reason: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError, String(error))
    assert.equal(error.statusCode, 503)
    assert.equal(error.reason, reason)
    return true
  })
}

void describe('ExpiringMap', () => {
  void test('a key lives until its expiry, exclusive', () => {
    const map = new ExpiringMap<string>(capacity(10, false))
    map.set('a', 'A', T + 10, T)
    assert.equal(map.get('a', T), 'A')
    assert.equal(map.expiryOf('a', T + 9.999), T + 10)
    assert.equal(map.has('a', T + 10), false, 'gone at its expiry')
    assert.equal(map.get('a', T + 10), undefined)
    assert.equal(map.size, 0, 'the expired key was dropped when read')
  })

  void test('an expiry already past stores nothing and forgets the key', () => {
    const removed: string[] = []
    const map = new ExpiringMap<string>(capacity(10, false), (key) => removed.push(key))
    map.set('a', 'A', T, T)
    assert.equal(map.size, 0)
    map.set('b', 'B', T + 5, T)
    map.set('b', 'B2', T - 1, T)
    assert.equal(map.has('b', T), false)
    assert.equal(map.peek('b'), undefined)
    assert.deepEqual(removed, ['b'])
  })

  void test('delete says whether the key was held, expired or not', () => {
    const map = new ExpiringMap<number>(capacity(10, false))
    map.set('a', 1, T + 5, T)
    assert.equal(map.delete('a'), true)
    assert.equal(map.delete('a'), false)
    map.set('b', 2, T + 5, T)
    // Held but expired (not yet swept): still deleted, and reported as held.
    assert.equal(map.delete('b'), true)
    assert.equal(map.delete('never'), false)
  })

  void test('peek sees an expired value that get does not; entries yields live values only', () => {
    const map = new ExpiringMap<string>(capacity(10, false))
    map.set('a', 'A', T + 1, T)
    map.set('b', 'B', T + 100, T)
    assert.equal(map.peek('a'), 'A')
    assert.deepEqual([...map.entries(['a', 'b', 'c'], T + 50)], ['B'])
    assert.equal(map.peek('a'), undefined, 'entries dropped the expired key on the way')
  })

  void test('writes sweep expired entries without any read', () => {
    const map = new ExpiringMap<number>(capacity(1000, false))
    for (let i = 0; i < 10; i++) map.set(`old${i}`, i, T + 1, T)
    assert.equal(map.size, 10)
    map.set('new', 0, T + 100, T + 2)
    assert.equal(map.size, 1)
  })

  void test('the removal hook hears of every entry that leaves, but not of a replaced value', () => {
    const removed: [string, number][] = []
    const map = new ExpiringMap<number>(capacity(2, true), (key, value) =>
      removed.push([key, value]),
    )
    map.set('a', 1, T + 10, T)
    map.set('a', 2, T + 20, T)
    assert.deepEqual(removed, [], 'a replaced value is not a removal')
    map.set('b', 3, T + 30, T)
    map.set('c', 4, T + 40, T) // full: evicts 'a', the soonest to expire
    map.delete('b')
    assert.equal(map.get('c', T + 40), undefined) // expired on read
    assert.deepEqual(removed, [
      ['a', 2],
      ['b', 3],
      ['c', 4],
    ])
  })
})

void describe('capacity', () => {
  void test('a full map of live entries refuses a new key and changes nothing', () => {
    const cap = capacity(3, false)
    const map = new ExpiringMap<string>(cap)
    for (const key of ['a', 'b', 'c']) map.set(key, key, T + 100, T)
    assertRefused(() => map.set('d', 'd', T + 1000, T + 1), 'cap 3 reached')
    assert.deepEqual(cap.told, ['refused'])
    assert.equal(map.has('d', T + 1), false)
    for (const key of ['a', 'b', 'c']) assert.equal(map.get(key, T + 1), key)
    assert.equal(map.size, 3)
  })

  void test('a full map still takes a held key, and an expired entry makes room silently', () => {
    const cap = capacity(3, false)
    const map = new ExpiringMap<string>(cap)
    map.set('a', 'a', T + 10, T)
    map.set('b', 'b', T + 100, T)
    map.set('c', 'c', T + 100, T)
    map.set('b', 'b2', T + 200, T)
    assert.equal(map.get('b', T), 'b2', 'a held key needs no room')
    map.set('d', 'd', T + 100, T + 20) // 'a' has expired
    assert.equal(map.get('d', T + 20), 'd')
    assert.equal(map.has('a', T + 20), false)
    assert.deepEqual(cap.told, [], 'nothing live was dropped or refused')
  })

  void test('an evictable map drops its soonest-expiring live entry instead', () => {
    const cap = capacity(3, true)
    const map = new ExpiringMap<string>(cap)
    map.set('late', 'x', T + 300, T)
    map.set('soon', 'x', T + 100, T)
    map.set('mid', 'x', T + 200, T)
    map.set('new', 'x', T + 50, T)
    assert.deepEqual(cap.told, ['evicted'])
    assert.equal(map.has('soon', T), false, 'the soonest to expire went')
    for (const key of ['late', 'mid', 'new']) assert.equal(map.has(key, T), true, key)
  })

  void test('an entry expiring exactly now makes room even when stale heap nodes used the sweep', () => {
    const cap = capacity(2, false)
    const map = new ExpiringMap<number>(cap)
    // Twenty re-sets of 'b' leave twenty stale heap nodes, all expired by T + 5: more than one
    // write sweeps, so the insert below must look past them itself.
    for (let i = 0; i < 20; i++) map.set('b', i, T + 1 + i / 10, T)
    map.set('b', 20, T + 10, T)
    map.set('a', 0, T + 5, T)
    map.set('c', 0, T + 50, T + 5)
    assert.equal(map.has('c', T + 5), true)
    assert.equal(map.has('b', T + 5), true)
    assert.deepEqual(cap.told, [], "'a' had expired: nothing live was dropped or refused")
  })

  void test('after the heap is rebuilt, the soonest-expiring entry is still the one evicted', () => {
    const cap = capacity(4, true)
    const map = new ExpiringMap<number>(cap)
    map.set('a', 0, T + 50, T)
    map.set('b', 0, T + 40, T)
    map.set('c', 0, T + 30, T)
    // Each later expiry of 'd' strands the node of the one before; past 1024 stale nodes the
    // heap is rebuilt from the map, whose order (a, b, c, d) is not heap order.
    for (let i = 0; i < 1100; i++) map.set('d', i, T + 100 + i, T)
    map.set('e', 0, T + 60, T)
    assert.deepEqual(cap.told, ['evicted'])
    assert.equal(map.has('c', T), false, "'c' expires soonest")
    for (const k of ['a', 'b', 'd', 'e']) assert.equal(map.has(k, T), true, k)
    map.set('f', 0, T + 70, T)
    assert.equal(map.has('b', T), false, "then 'b'")
  })

  void test('the cap is maxEntries exactly', () => {
    const map = new ExpiringMap<number>(capacity(5, false))
    for (let i = 0; i < 5; i++) map.set(`k${i}`, i, T + 10 + i, T)
    assert.equal(map.size, 5)
    assertRefused(() => map.set('k5', 5, T + 100, T), 'cap 5 reached')
  })
})

void describe('ExpiringSet.extend', () => {
  void test('extends an expiry and never shortens it', () => {
    const set = new ExpiringSet(capacity(10, false))
    set.extend('a', T + 100, T)
    set.extend('a', T + 50, T)
    assert.equal(set.expiryOf('a', T), T + 100, 'a shorter expiry is ignored')
    set.extend('a', T + 200, T)
    assert.equal(set.expiryOf('a', T), T + 200)
    assert.equal(set.has('a', T + 199), true)
    assert.equal(set.has('a', T + 200), false)
  })

  void test('an expired key is added again; an expiry already past adds nothing', () => {
    const set = new ExpiringSet(capacity(10, false))
    set.extend('a', T + 10, T)
    set.extend('a', T + 30, T + 20)
    assert.equal(set.expiryOf('a', T + 20), T + 30)
    set.extend('b', T + 20, T + 20)
    assert.equal(set.has('b', T + 20), false)
  })

  void test('a full set refuses a new key but still extends a held one', () => {
    const set = new ExpiringSet(capacity(2, false))
    set.extend('a', T + 10, T)
    set.extend('b', T + 10, T)
    assertRefused(() => set.extend('c', T + 10, T), 'cap 2 reached')
    set.extend('a', T + 99, T)
    assert.equal(set.expiryOf('a', T), T + 99)
  })
})

/** One operation of the random sequences. */
type Command =
  | { readonly op: 'set'; readonly key: string; readonly ttl: number }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'advance'; readonly seconds: number }
  | { readonly op: 'churn'; readonly key: string; readonly times: number }

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
const key = fc.constantFrom(...KEYS)
const command: fc.Arbitrary<Command> = fc.oneof(
  // Small whole ttls give many equal expiries, where a heap most easily goes wrong.
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('set'), key, ttl: fc.integer({ min: -1, max: 8 }) }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete'), key }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('advance'), seconds: fc.integer({ min: 0, max: 4 }) }),
  },
  // Enough re-sets of one key, each later than the one before, to strand over 1024 heap nodes
  // that do not expire meanwhile: this forces a rebuild of the heap.
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('churn'),
      key,
      times: fc.integer({ min: 1030, max: 1300 }),
    }),
  },
)

/** The reference: every entry with its value and expiry, read by a full scan. */
interface Model {
  readonly entries: Map<string, { value: number; expiresAt: number }>
  now: number
}

function liveKeys(model: Model): string[] {
  return [...model.entries].filter(([, e]) => e.expiresAt > model.now).map(([k]) => k)
}

/**
 * Applies one `set` to the map and the model. The model predicts a refusal or an eviction when
 * the key is new and every slot holds a live entry; an eviction may take any of the entries with
 * the smallest expiry (ties), so the model learns which one from the map and checks it was one.
 */
function applySet(
  map: ExpiringMap<number>,
  model: Model,
  cap: ExpiringCapacity,
  k: string,
  value: number,
  expiresAt: number,
): void {
  const now = model.now
  const live = liveKeys(model)
  const isNew = !live.includes(k)
  const full = expiresAt > now && isNew && live.length >= cap.maxEntries
  if (full && !cap.evictable) {
    assertRefused(() => map.set(k, value, expiresAt, now), cap.reason)
    return
  }
  map.set(k, value, expiresAt, now)
  if (full) {
    const soonest = Math.min(...live.map((l) => model.entries.get(l)!.expiresAt))
    const gone = live.filter((l) => !map.has(l, now))
    assert.equal(gone.length, 1, `one entry evicted, got ${gone.join()}`)
    assert.equal(model.entries.get(gone[0]!)!.expiresAt, soonest, 'the victim expires soonest')
    model.entries.delete(gone[0]!)
  }
  if (expiresAt > now) model.entries.set(k, { value, expiresAt })
  else model.entries.delete(k)
}

/** Every observable of the map agrees with the model; the removal hook kept `index` exact. */
function assertAgrees(
  map: ExpiringMap<number>,
  model: Model,
  cap: ExpiringCapacity,
  index: Set<string>,
): void {
  for (const k of KEYS) {
    // peek first: get() drops an expired key, which must also reach the index through the hook.
    assert.equal(map.peek(k) !== undefined, index.has(k), `index in step for ${k}`)
    const entry = model.entries.get(k)
    const live = entry !== undefined && entry.expiresAt > model.now
    assert.equal(map.get(k, model.now), live ? entry.value : undefined, `value of ${k}`)
    assert.equal(map.expiryOf(k, model.now), live ? entry.expiresAt : undefined, `expiry of ${k}`)
  }
  assert.ok(map.size <= cap.maxEntries, 'never above the cap')
  assert.ok(map.size >= liveKeys(model).length)
}

void describe('heap correctness under random operations', () => {
  void test('extend keeps the latest expiry of every key (reference: a Map of maxima)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key,
            ttl: fc.double({ min: -2, max: 5, noNaN: true }),
            advance: fc.boolean(),
          }),
          { maxLength: 80 },
        ),
        (steps) => {
          const set = new ExpiringSet(capacity(KEYS.length, false))
          const model = new Map<string, number>()
          let now = T
          for (const step of steps) {
            if (step.advance) now += 1
            const current = model.get(step.key)
            const live = current !== undefined && current > now
            const expiresAt = now + step.ttl
            set.extend(step.key, expiresAt, now)
            if (!live && expiresAt > now) model.set(step.key, expiresAt)
            else if (live && expiresAt > current) model.set(step.key, expiresAt)
            for (const k of KEYS) {
              const expiry = model.get(k)
              assert.equal(
                set.expiryOf(k, now),
                expiry !== undefined && expiry > now ? expiry : undefined,
                k,
              )
            }
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    )
  })

  for (const evictable of [true, false]) {
    void test(`matches the reference model (${evictable ? 'evictable' : 'refusing'})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5 }),
          fc.array(command, { maxLength: 60 }),
          (maxEntries, commands) => {
            const cap = capacity(maxEntries, evictable)
            const index = new Set<string>()
            const map = new ExpiringMap<number>(cap, (k) => index.delete(k))
            const model: Model = { entries: new Map(), now: T }
            let value = 0
            const set = (k: string, expiresAt: number): void => {
              value += 1
              try {
                applySet(map, model, cap, k, value, expiresAt)
              } finally {
                // The hook tells of removals; what is held is what peek still sees.
                if (map.peek(k) !== undefined) index.add(k)
              }
            }
            for (const c of commands) {
              if (c.op === 'set') set(c.key, model.now + c.ttl)
              else if (c.op === 'delete') {
                map.delete(c.key)
                model.entries.delete(c.key)
              } else if (c.op === 'advance') model.now += c.seconds
              else for (let i = 0; i < c.times; i++) set(c.key, model.now + 1 + i / 100)
              assertAgrees(map, model, cap, index)
            }
          },
        ),
        { seed: SEED, numRuns: 300 },
      )
    })
  }
})
