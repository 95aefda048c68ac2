/**
 * Store keys must be injective: two different ids must never name one entry. ioredis sends keys as
 * UTF-8, where a lone surrogate becomes U+FFFD, so with ids used as they came the subjects
 * `'a\ud800'` and `'a\ufffd'` were one Redis key and one could list and end the other's sessions.
 * The stores now refuse ill-formed ids (TypeError) and length-prefix every id in a key, so that a
 * `:` or a key-shaped id cannot reach another key either. Runs against the suite's
 * throw-away redis-server, under a random prefix removed at the end.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { isWellFormedId, storeKeys } from '../../src/stores/contract.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { RedisStore, recommendedRedisOptions } from '../../src/stores/redis.ts'
import type { SessionRecord, Store } from '../../src/stores/types.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'

const SEED = 42
const RUN_PREFIX = `authx-test:store-keys:${randomUUID()}:`
const client = new Redis(await testRedisUrl(), { ...recommendedRedisOptions(), lazyConnect: true })
await client.connect()
let stores = 0

/** A RedisStore with a prefix of its own, under this file's prefix. */
function makeStore(): RedisStore {
  stores += 1
  return new RedisStore(client, { prefix: `${RUN_PREFIX}${stores}:` })
}

after(async () => {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  if (keys.length > 0) await client.del(...keys)
  await client.quit()
})

function session(id: string, sub: string): SessionRecord {
  const now = Date.now() / 1000
  return { id, sub, createdAt: now, lastActive: now, expiresAt: now + 600 }
}

/** Ids drawn from separators, digits and the letters of key tags: where naive keys collide. */
const trickyId = fc.string({
  unit: fc.constantFrom(':', '.', '1', '2', 'r', 'e', 'v', 's', 'u', 'b', 'a', '\ufffd', '😀'),
  maxLength: 8,
})

/** Any UTF-16 string, with surrogates (paired or not) drawn often. */
const anyUtf16 = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
    fc.constantFrom('a', ':', '\ufffd', '😀'),
  ),
  maxLength: 6,
})

void describe('security: ill-formed ids at the store', () => {
  void test('Redis itself stores a lone surrogate as U+FFFD (the reason ids are checked)', async () => {
    const key = `${RUN_PREFIX}raw:a`
    await client.set(`${key}\ud800`, 'written under a\\ud800', 'EX', 60)
    assert.equal(await client.get(`${key}\ufffd`), 'written under a\\ud800')
  })

  void test("subject 'a\\ud800' is refused, so it cannot list or end the sessions of 'a\\ufffd'", async () => {
    const store = makeStore()
    const victim = 'a\ufffd'
    const attacker = 'a\ud800'
    const record = session(randomUUID(), victim)
    await store.saveSession(record)
    await store.revoke('jti', 'j\ufffd', Date.now() / 1000 + 600)

    const attempts: [string, () => Promise<unknown>][] = [
      ['listSessions', () => store.listSessions(attacker)],
      ['deleteSessions', () => store.deleteSessions(attacker)],
      [
        'revokeSubject',
        () => store.revokeSubject(attacker, Date.now() / 1000, Date.now() / 1000 + 60),
      ],
      ['saveSession', () => store.saveSession(session(randomUUID(), attacker))],
      ['isRevoked', () => store.isRevoked({ sub: attacker })],
      ['isRevoked jti', () => store.isRevoked({ sub: victim, jti: 'j\ud800' })],
      ['revoke', () => store.revoke('jti', 'j\ud800', Date.now() / 1000 + 60)],
    ]
    for (const [name, attempt] of attempts) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.equal((error as Error).constructor, TypeError, `${name}: ${String(error)}`)
        return true
      })
    }
    assert.deepEqual(await store.listSessions(victim), [record], 'the victim keeps its session')
    assert.equal(await store.isRevoked({ sub: victim, iat: Date.now() / 1000 }), false)
    assert.equal(await store.isRevoked({ sub: victim, jti: 'j\ufffd' }), true)
  })

  for (const [name, make] of [
    ['MemoryStore', () => new MemoryStore()],
    ['RedisStore', makeStore],
  ] as const) {
    void test(`${name}: an id is accepted exactly when it is well-formed (seed ${SEED})`, async () => {
      const store: Store = make()
      await fc.assert(
        fc.asyncProperty(anyUtf16, async (id) => {
          const attempt = store.revoke('jti', id, Date.now() / 1000 + 60)
          if (isWellFormedId(id)) {
            await attempt
            assert.equal(await store.isRevoked({ sub: 'u', jti: id }), true)
          } else {
            await assert.rejects(attempt, TypeError)
          }
        }),
        { seed: SEED, numRuns: 100 },
      )
    })
  }
})

void describe('security: store keys are injective', () => {
  /** A key shape: how many ids it takes and how it writes them. */
  interface Shape {
    readonly arity: number
    readonly build: (ids: readonly string[]) => string
  }
  type Call = readonly [shape: number, ids: readonly string[]]

  const SHAPES: readonly Shape[] = [
    ...(['jti', 'sid', 'fam'] as const).map((kind): Shape => ({
      arity: 1,
      build: ([id]) => storeKeys.revoked(kind, id!),
    })),
    { arity: 1, build: ([sub]) => storeKeys.subject(sub!) },
    { arity: 2, build: ([fam, jti]) => storeKeys.used(fam!, jti!) },
    { arity: 1, build: ([key]) => storeKeys.hit(key!) },
    { arity: 1, build: ([id]) => storeKeys.session(id!) },
    { arity: 1, build: ([sub]) => storeKeys.sessionIndex(sub!) },
  ]

  /**
   * The constant text a shape starts with, up to its last `:`, read from the implementation
   * (whatever it is): the common start of two keys built from different ids.
   */
  function tagOf(shape: Shape): string {
    const a = shape.build(Array<string>(shape.arity).fill('x'))
    const b = shape.build(Array<string>(shape.arity).fill('yy'))
    let n = 0
    while (n < a.length && a[n] === b[n]) n++
    return a.slice(0, a.lastIndexOf(':', n - 1))
  }

  /** Ids made of separators, digits and pieces of tags: the ids that forge naive keys. */
  const keyShapedId = fc
    .array(fc.constantFrom(':', ':', '1', '3', 'a', 'rev', 'jti', 'used', 'sess', '\ufffd'), {
      maxLength: 5,
    })
    .map((pieces) => pieces.join(''))

  /** One call of one shape. */
  const call = (shapes: readonly Shape[]): fc.Arbitrary<Call> =>
    fc
      .nat({ max: shapes.length - 1 })
      .chain((i) =>
        fc.tuple(
          fc.constant(i),
          fc.array(keyShapedId, { minLength: shapes[i]!.arity, maxLength: shapes[i]!.arity }),
        ),
      )

  /**
   * A call, and another that a naive scheme (tag and ids joined by `:`) would confuse with it:
   * the same text `tag:id:id...`, read as another shape whose tag starts it, cut at other colons.
   */
  const confusablePair = (shapes: readonly Shape[]): fc.Arbitrary<[Call, Call]> =>
    call(shapes).chain((first) => {
      const tags = shapes.map(tagOf)
      const text = [tags[first[0]]!, ...first[1]].join(':')
      const readers = tags.flatMap((tag, k) => (text.startsWith(`${tag}:`) ? [k] : []))
      return fc.constantFrom(...readers).chain((k) => {
        const rest = text.slice(tags[k]!.length + 1)
        const colons = [...rest].flatMap((char, at) => (char === ':' ? [at] : []))
        const cuts = shapes[k]!.arity - 1
        if (colons.length < cuts) return fc.constant<[Call, Call]>([first, first])
        return fc
          .shuffledSubarray(colons, { minLength: cuts, maxLength: cuts })
          .map((chosen): [Call, Call] => {
            const ids: string[] = []
            let start = 0
            for (const at of chosen.sort((x, y) => x - y)) {
              ids.push(rest.slice(start, at))
              start = at + 1
            }
            ids.push(rest.slice(start))
            return [first, [k, ids]]
          })
      })
    })

  /** Two different calls never build the same key (as text, then as UTF-8 bytes). */
  const injective = (shapes: readonly Shape[]) =>
    fc.property(
      fc.oneof(confusablePair(shapes), fc.tuple(call(shapes), call(shapes))),
      ([[i, a], [j, b]]) => {
        fc.pre(i !== j || a.some((id, k) => id !== b[k]))
        const [keyA, keyB] = [shapes[i]!.build(a), shapes[j]!.build(b)]
        return keyA !== keyB && !Buffer.from(keyA).equals(Buffer.from(keyB))
      },
    )

  void test(`different ids never build the same key, as text or as UTF-8 (seed ${SEED})`, () => {
    fc.assert(injective(SHAPES), { seed: SEED, numRuns: 5000 })
  })

  void test('the property can fail: it catches the key schemes that collide', () => {
    const joined: Shape = { arity: 2, build: ([fam, jti]) => `used:${fam!}:${jti!}` }
    const prefixTag: Shape = { arity: 1, build: ([id]) => `rev:${id!}` }
    for (const [name, shapes] of [
      ['two ids joined by ":"', [...SHAPES.filter((shape) => shape.arity === 1), joined]],
      ['a tag that is the prefix of another', [...SHAPES, prefixTag]],
    ] as const) {
      const result = fc.check(injective(shapes), { seed: SEED, numRuns: 5000 })
      assert.equal(result.failed, true, `${name} must be caught`)
    }
  })

  void test(`RedisStore: ids full of separators never reach one another (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(trickyId, { minLength: 2, maxLength: 4 }), async (ids) => {
        const store = makeStore()
        const until = Date.now() / 1000 + 600
        const n = ids.length
        // Each subject gets one session whose id spells the next subject.
        for (const [i, sub] of ids.entries())
          await store.saveSession(session(ids[(i + 1) % n]!, sub))
        await store.revoke('jti', ids[0]!, until)
        await store.revokeSubject(ids[0]!, Date.now() / 1000, until)
        for (const [i, sub] of ids.entries()) {
          assert.deepEqual(
            (await store.listSessions(sub)).map((s) => s.id),
            [ids[(i + 1) % n]],
          )
          assert.equal(await store.isRevoked({ sub: 'u', jti: sub }), i === 0)
          assert.equal(await store.isRevoked({ sub, iat: 0 }), i === 0)
          assert.equal((await store.hit(sub, 60, Date.now() / 1000)).count, 1)
        }
        // Every (family, jti) pair is its own refresh token.
        for (const fam of ids)
          for (const jti of ids) assert.equal(await store.useRefreshToken(fam, jti, until), 'ok')
        // Ending one subject's sessions leaves the others'.
        assert.equal(await store.deleteSessions(ids[0]!), 1)
        for (const sub of ids.slice(1)) assert.equal((await store.listSessions(sub)).length, 1)
      }),
      { seed: SEED, numRuns: 40 },
    )
  })
})
