/**
 * The behaviour every `Store` must show, as one suite that each store's test file runs against
 * its own implementation. Not a `*.test.ts` file: the runner picks it up through those files only.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import type { RefreshUse, RevocationKind, SessionRecord, Store } from '../../src/stores/types.ts'

/** A store under test and its notion of time. */
export interface StoreHarness {
  readonly store: Store
  /** Current time as the store sees it, in seconds since the epoch. */
  readonly now: () => number
  /**
   * Lets `seconds` pass for the store: a jump of an injected clock, or a real wait for a store
   * that expires entries on the server's clock. Each suite calls it once, with a short span.
   */
  readonly advance: (seconds: number) => Promise<void>
}

/** Closes over a fresh store for each test. */
export type MakeHarness = () => StoreHarness | Promise<StoreHarness>

/** A unique id, so that tests sharing one backing server never meet each other's keys. */
function uid(label: string): string {
  return `${label}-${randomUUID()}`
}

function assertClose(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-6, message ?? `expected ${expected}, got ${actual}`)
}

function session(sub: string, createdAt: number, expiresAt: number): SessionRecord {
  return {
    id: uid('sid'),
    sub,
    createdAt,
    lastActive: createdAt,
    expiresAt,
    ip: '203.0.113.7',
    userAgent: 'test-agent/1.0',
    data: { device: 'phone', trusted: true, tags: ['a', 'b'] },
  }
}

function tally(results: readonly RefreshUse[]): Record<RefreshUse, number> {
  const counts: Record<RefreshUse, number> = { ok: 0, reused: 0, revoked: 0 }
  for (const result of results) counts[result] += 1
  return counts
}

/**
 * Registers the store contract under `describe(name)`.
 *
 * @param name - the implementation's name, shown in the report
 * @param makeHarness - builds a fresh store (and its clock) for each test
 */
export function runStoreContract(name: string, makeHarness: MakeHarness): void {
  void describe(`${name} (Store contract)`, () => {
    void describe('revocation', () => {
      for (const kind of ['jti', 'sid', 'fam'] as const) {
        void test(`revoke('${kind}') revokes exactly that ${kind}`, async () => {
          const { store, now } = await makeHarness()
          const sub = uid('user')
          const id = uid(kind)
          await store.revoke(kind, id, now() + 3600)
          assert.equal(await store.isRevoked({ sub, [kind]: id }), true)
          assert.equal(await store.isRevoked({ sub, [kind]: uid(kind) }), false)
          // The same string under another kind is another identifier.
          for (const other of ['jti', 'sid', 'fam'] as const) {
            if (other !== kind) assert.equal(await store.isRevoked({ sub, [other]: id }), false)
          }
          // One revoked identifier is enough, whatever the others say.
          assert.equal(
            await store.isRevoked({
              sub,
              iat: now(),
              jti: uid('jti'),
              sid: uid('sid'),
              fam: uid('fam'),
              [kind]: id,
            }),
            true,
          )
        })
      }

      void test('a token with no revoked identifier is not revoked', async () => {
        const { store, now } = await makeHarness()
        assert.equal(await store.isRevoked({ sub: uid('user') }), false)
        assert.equal(
          await store.isRevoked({
            sub: uid('user'),
            iat: now(),
            jti: uid('jti'),
            sid: uid('sid'),
            fam: uid('fam'),
          }),
          false,
        )
      })

      void test('revokeSubject revokes tokens issued at or before `at`, and tokens without iat', async () => {
        const { store, now } = await makeHarness()
        const sub = uid('user')
        const at = Math.floor(now())
        await store.revokeSubject(sub, at, at + 3600)
        assert.equal(await store.isRevoked({ sub, iat: at - 10 }), true)
        assert.equal(await store.isRevoked({ sub, iat: at }), true, 'iat == at is revoked')
        assert.equal(await store.isRevoked({ sub, iat: at + 1 }), false)
        assert.equal(await store.isRevoked({ sub }), true, 'no iat: fail closed')
        assert.equal(await store.isRevoked({ sub, jti: uid('jti') }), true)
        assert.equal(await store.isRevoked({ sub: uid('user') }), false, 'other subjects untouched')
        assert.equal(await store.isRevoked({ sub: uid('user'), iat: at - 10 }), false)
      })

      void test('revokeSubject keeps the latest `at`', async () => {
        const { store, now } = await makeHarness()
        const sub = uid('user')
        const at = Math.floor(now())
        await store.revokeSubject(sub, at, at + 3600)
        await store.revokeSubject(sub, at - 100, at + 3600)
        assert.equal(await store.isRevoked({ sub, iat: at - 1 }), true, 'an older `at` is ignored')
        await store.revokeSubject(sub, at + 50.5, at + 3600)
        assert.equal(await store.isRevoked({ sub, iat: at + 50 }), true, 'a newer `at` wins')
        assert.equal(await store.isRevoked({ sub, iat: at + 51 }), false)
      })

      void test('a revocation already past its expiry is a no-op', async () => {
        const { store, now } = await makeHarness()
        const sub = uid('user')
        const jti = uid('jti')
        await store.revoke('jti', jti, now() - 10)
        await store.revokeSubject(sub, now(), now() - 10)
        assert.equal(await store.isRevoked({ sub, jti }), false)
      })

      void test('misuse rejects with TypeError', async () => {
        const { store, now } = await makeHarness()
        await assert.rejects(
          store.revoke('token' as RevocationKind, uid('x'), now() + 60),
          TypeError,
        )
        await assert.rejects(store.revoke('jti', uid('x'), Number.NaN), TypeError)
        await assert.rejects(store.revokeSubject(uid('user'), Number.NaN, now() + 60), TypeError)
        await assert.rejects(store.useRefreshToken(uid('fam'), uid('jti'), Infinity), TypeError)
        await assert.rejects(store.hit(uid('key'), 0, now()), TypeError)
        await assert.rejects(store.hit(uid('key'), 10, Number.NaN), TypeError)
      })
    })

    void describe('refresh-token families', () => {
      void test('ok, then reused (which revokes the family), then revoked', async () => {
        const { store, now } = await makeHarness()
        const sub = uid('user')
        const fam = uid('fam')
        const [j1, j2, j3] = [uid('jti'), uid('jti'), uid('jti')]
        const until = now() + 3600
        assert.equal(await store.useRefreshToken(fam, j1, until), 'ok')
        assert.equal(await store.useRefreshToken(fam, j2, until), 'ok')
        assert.equal(await store.isRevoked({ sub, fam }), false)
        assert.equal(await store.useRefreshToken(fam, j1, until), 'reused')
        assert.equal(await store.isRevoked({ sub, fam }), true, 'reuse revokes the family')
        assert.equal(await store.useRefreshToken(fam, j3, until), 'revoked')
        assert.equal(await store.useRefreshToken(fam, j2, until), 'revoked')
        assert.equal(await store.useRefreshToken(fam, j1, until), 'revoked')
      })

      void test('families are independent', async () => {
        const { store, now } = await makeHarness()
        const jti = uid('jti')
        const [famA, famB] = [uid('fam'), uid('fam')]
        assert.equal(await store.useRefreshToken(famA, jti, now() + 3600), 'ok')
        assert.equal(await store.useRefreshToken(famA, jti, now() + 3600), 'reused')
        assert.equal(await store.useRefreshToken(famB, jti, now() + 3600), 'ok')
        assert.equal(await store.isRevoked({ sub: uid('user'), fam: famB }), false)
      })

      void test('separators in ids cannot make two tokens collide', async () => {
        const { store, now } = await makeHarness()
        const base = uid('fam')
        assert.equal(await store.useRefreshToken(`${base}:b`, 'c', now() + 3600), 'ok')
        assert.equal(await store.useRefreshToken(base, 'b:c', now() + 3600), 'ok')
      })

      void test('a family revoked with revoke("fam") answers revoked', async () => {
        const { store, now } = await makeHarness()
        const fam = uid('fam')
        await store.revoke('fam', fam, now() + 3600)
        assert.equal(await store.useRefreshToken(fam, uid('jti'), now() + 3600), 'revoked')
      })

      void test('50 concurrent uses of one refresh token: exactly one ok', async () => {
        const { store, now } = await makeHarness()
        const fam = uid('fam')
        const jti = uid('jti')
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.useRefreshToken(fam, jti, now() + 3600)),
        )
        assert.deepEqual(tally(results), { ok: 1, reused: 1, revoked: 48 })
      })
    })

    void describe('rate limits', () => {
      void test('counts hits in a window and reports the real time left', async () => {
        const { store, now } = await makeHarness()
        const key = uid('ip')
        const t = now()
        let hit = await store.hit(key, 10, t)
        assert.equal(hit.count, 1)
        assertClose(hit.resetIn, 10)
        hit = await store.hit(key, 10, t + 4)
        assert.equal(hit.count, 2)
        assertClose(hit.resetIn, 6, 'resetIn counts down, it is not the full window')
        hit = await store.hit(key, 10, t + 9.5)
        assert.equal(hit.count, 3)
        assertClose(hit.resetIn, 0.5)
        hit = await store.hit(key, 10, t + 10)
        assert.equal(hit.count, 1, 'a new window starts once the old one has passed')
        assertClose(hit.resetIn, 10)
      })

      void test('keys are independent and resetHits forgets one', async () => {
        const { store, now } = await makeHarness()
        const [a, b] = [uid('ip'), uid('ip')]
        const t = now()
        for (let i = 0; i < 5; i++) await store.hit(a, 60, t + i)
        assert.equal((await store.hit(b, 60, t + 5)).count, 1)
        assert.equal((await store.hit(a, 60, t + 5)).count, 6)
        await store.resetHits(a)
        const hit = await store.hit(a, 60, t + 6)
        assert.equal(hit.count, 1)
        assertClose(hit.resetIn, 60)
        assert.equal((await store.hit(b, 60, t + 6)).count, 2)
        await store.resetHits(uid('never-hit'))
      })

      void test('concurrent hits are all counted', async () => {
        const { store, now } = await makeHarness()
        const key = uid('ip')
        const t = now()
        const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit(key, 60, t)))
        assert.deepEqual(
          hits.map((h) => h.count).sort((x, y) => x - y),
          Array.from({ length: 50 }, (_, i) => i + 1),
        )
      })
    })

    void describe('sessions', () => {
      void test('save, get, list, replace, delete', async () => {
        const { store, now } = await makeHarness()
        const [alice, bob] = [uid('alice'), uid('bob')]
        const t = Math.floor(now())
        const s1 = session(alice, t, t + 3600)
        const s2 = session(alice, t + 1, t + 7200)
        const s3 = session(bob, t, t + 3600)
        for (const s of [s2, s1, s3]) await store.saveSession(s)

        assert.deepEqual(await store.getSession(s1.id), s1)
        assert.equal(await store.getSession(uid('sid')), null)
        assert.deepEqual(await store.listSessions(alice), [s1, s2], 'live sessions, oldest first')
        assert.deepEqual(await store.listSessions(bob), [s3])
        assert.deepEqual(await store.listSessions(uid('nobody')), [])

        const touched = { ...s1, lastActive: t + 30 }
        await store.saveSession(touched)
        assert.deepEqual(await store.getSession(s1.id), touched, 'save replaces')
        assert.deepEqual(await store.listSessions(alice), [touched, s2], 'no duplicate')

        assert.equal(await store.deleteSession(s1.id), true)
        assert.equal(await store.deleteSession(s1.id), false)
        assert.equal(await store.getSession(s1.id), null)
        assert.deepEqual(await store.listSessions(alice), [s2])

        assert.equal(await store.deleteSessions(alice), 1)
        assert.equal(await store.deleteSessions(alice), 0)
        assert.deepEqual(await store.listSessions(alice), [])
        assert.deepEqual(await store.listSessions(bob), [s3], 'other subjects untouched')
      })

      void test('the stored record is a copy', async () => {
        const { store, now } = await makeHarness()
        const t = Math.floor(now())
        const original = session(uid('user'), t, t + 3600)
        const saved = structuredClone(original)
        await store.saveSession(saved)
        ;(saved.data as Record<string, unknown>)['device'] = 'changed after save'
        const read = await store.getSession(original.id)
        assert.deepEqual(read, original)
        ;(read?.data as Record<string, unknown>)['device'] = 'changed after read'
        assert.deepEqual(await store.getSession(original.id), original)
      })
    })

    void test('entries expire at their expiresAt', async () => {
      const harness = await makeHarness()
      const { store, now } = harness
      const sub = uid('user')
      const soon = now() + 1
      const [jti, sid, fam, kept] = [uid('jti'), uid('sid'), uid('fam'), uid('jti')]
      const subject = uid('user')
      const [usedFam, usedJti] = [uid('fam'), uid('jti')]
      await store.revoke('jti', jti, soon)
      await store.revoke('sid', sid, soon)
      await store.revoke('fam', fam, soon)
      await store.revokeSubject(subject, now(), soon)
      await store.revoke('jti', kept, now() + 3600)
      await store.revoke('jti', kept, soon) // a shorter expiry never shortens a revocation
      assert.equal(await store.useRefreshToken(usedFam, usedJti, soon), 'ok')
      const short = session(sub, Math.floor(now()), soon)
      const long = session(sub, Math.floor(now()) + 1, now() + 3600)
      await store.saveSession(short)
      await store.saveSession(long)

      for (const query of [{ jti }, { sid }, { fam }, { jti: kept }])
        assert.equal(await store.isRevoked({ sub, ...query }), true)
      assert.equal(await store.isRevoked({ sub: subject }), true)
      assert.deepEqual(await store.listSessions(sub), [short, long])

      await harness.advance(1.2)

      for (const query of [{ jti }, { sid }, { fam }])
        assert.equal(await store.isRevoked({ sub, ...query }), false)
      assert.equal(await store.isRevoked({ sub: subject }), false)
      assert.equal(await store.isRevoked({ sub, jti: kept }), true)
      assert.equal(await store.useRefreshToken(usedFam, usedJti, now() + 3600), 'ok')
      assert.equal(await store.getSession(short.id), null)
      assert.deepEqual(await store.getSession(long.id), long)
      assert.deepEqual(await store.listSessions(sub), [long], 'expired sessions are not listed')
      assert.equal(await store.deleteSession(short.id), false)
      assert.equal(await store.deleteSessions(sub), 1)
    })
  })
}
