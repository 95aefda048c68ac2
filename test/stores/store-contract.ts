/**
 * The behaviour every store must show, as suites that each store's test file runs against its own
 * implementation: one per store interface, so that a store implementing only `RevocationStore`
 * (say) proves itself with {@link runRevocationContract} alone, and {@link runStoreContract} for a
 * whole `Store`. Not a `*.test.ts` file: the runner picks it up through those files only.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import type {
  RateLimitStore,
  RefreshFamilyStore,
  RefreshUse,
  RevocationKind,
  RevocationStore,
  SessionRecord,
  SessionStore,
  Store,
} from '../../src/stores/types.ts'

/** A store under test and its notion of time. */
export interface StoreHarness<S = Store> {
  readonly store: S
  /** Current time as the store sees it, in seconds since the epoch. */
  readonly now: () => number
  /**
   * Lets `seconds` pass for the store: a jump of an injected clock, or a real wait for a store
   * that expires entries on the server's clock. Each interface's suite calls it once, with a
   * short span.
   */
  readonly advance: (seconds: number) => Promise<void>
}

/** Closes over a fresh store for each test. */
export type MakeHarness<S = Store> = () => StoreHarness<S> | Promise<StoreHarness<S>>

/**
 * What the refresh-family suite needs: a reuse revokes the family through the same entries that
 * `isRevoked` reads, so the two interfaces are tested on one state.
 */
export type RefreshFamilyHarnessStore = RevocationStore & RefreshFamilyStore

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

/** Strings with lone surrogates: UTF-8 has no encoding for them (Redis would see U+FFFD). */
const ILL_FORMED = ['a\ud800', '\udc00', 'x\ud800y', '\ud83d', 'a\udfff\ud800']

/** Calls that each feed one naming argument the bad value; the name's second word is its name. */
type NamedCalls = (bad: string) => [string, () => Promise<unknown>][]

/**
 * Registers the two identifier tests of one interface: every naming argument refuses an
 * ill-formed string (a TypeError naming the argument, without echoing the value) and a non-string.
 */
function identifierTests<S>(
  makeHarness: MakeHarness<S>,
  calls: (h: StoreHarness<S>) => NamedCalls,
): void {
  void test('an id with a lone surrogate is refused with a TypeError naming the argument', async () => {
    const harness = await makeHarness()
    for (const bad of ILL_FORMED) {
      for (const [name, call] of calls(harness)(bad)) {
        const argument = name.split(' ')[1]!
        await assert.rejects(call(), (error: unknown) => {
          assert.equal((error as Error).constructor, TypeError, `${name}: ${String(error)}`)
          assert.ok((error as Error).message.includes(argument), `${name}: names ${argument}`)
          assert.ok(!(error as Error).message.includes(bad), `${name}: does not echo the id`)
          return true
        })
      }
    }
  })

  void test('an id that is not a string is refused with a TypeError', async () => {
    const harness = await makeHarness()
    for (const bad of [42, null, { toString: () => 'x' }] as unknown as string[]) {
      for (const [name, call] of calls(harness)(bad)) await assert.rejects(call(), TypeError, name)
    }
  })
}

/**
 * Ids that spell separators, lengths, other key kinds and this file's unique ids: in a store whose
 * keys were plain concatenations, some pairs of these would meet.
 */
function trickyIds(base: string): string[] {
  return [
    base,
    `${base}:`,
    `:${base}`,
    `${base}:b`,
    `b:${base}`,
    `${base.length}:${base}`,
    `${base}:1:b`,
    `rev:jti:${base}`,
    `rev:sid:${base}`,
    `rsub:${base}`,
    `subsess:${base}`,
    `sess:${base}`,
    `used:${base.length}:${base}:b`,
    `authx:${base}`,
    `${base}\ufffd`,
    `${base}\u0000`,
    '',
    ':',
    '::',
  ]
}

/**
 * Registers the {@link RevocationStore} contract under `describe(name)`: revocation by id and by
 * subject, expiry, misuse, and identifiers that must never reach one another.
 *
 * @param name - the implementation's name, shown in the report
 * @param makeHarness - builds a fresh store (and its clock) for each test
 */
export function runRevocationContract(
  name: string,
  makeHarness: MakeHarness<RevocationStore>,
): void {
  void describe(`${name} (RevocationStore contract)`, () => {
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
      await assert.rejects(store.revoke('token' as RevocationKind, uid('x'), now() + 60), TypeError)
      await assert.rejects(store.revoke('jti', uid('x'), Number.NaN), TypeError)
      await assert.rejects(store.revokeSubject(uid('user'), Number.NaN, now() + 60), TypeError)
      await assert.rejects(store.revokeSubject(uid('user'), now(), Infinity), TypeError)
    })

    identifierTests(makeHarness, ({ store, now }) => (bad) => [
      ...(['jti', 'sid', 'fam'] as const).map((kind): [string, () => Promise<unknown>] => [
        `revoke('${kind}') id`,
        () => store.revoke(kind, bad, now() + 60),
      ]),
      ['revokeSubject sub', () => store.revokeSubject(bad, now(), now() + 60)],
      ['isRevoked query.sub', () => store.isRevoked({ sub: bad })],
      ['isRevoked query.jti', () => store.isRevoked({ sub: 'u', jti: bad })],
      ['isRevoked query.sid', () => store.isRevoked({ sub: 'u', sid: bad })],
      ['isRevoked query.fam', () => store.isRevoked({ sub: 'u', fam: bad })],
    ])

    void test("'a\\ufffd' and astral characters are ids like any other", async () => {
      const { store, now } = await makeHarness()
      const astral = `${uid('user')}\u{1f600}`
      const replacement = `${uid('user')}\ufffd`
      await store.revoke('jti', astral, now() + 3600)
      assert.equal(await store.isRevoked({ sub: astral, jti: astral }), true)
      await store.revokeSubject(replacement, now(), now() + 3600)
      assert.equal(await store.isRevoked({ sub: replacement }), true)
      await assert.rejects(store.isRevoked({ sub: `${replacement.slice(0, -1)}\ud800` }), TypeError)
    })

    void test('ids with separators never reach another id', async () => {
      const { store, now } = await makeHarness()
      const ids = trickyIds(uid('x'))
      const revoked = ids[3]!
      await store.revoke('jti', revoked, now() + 3600)
      await store.revokeSubject(revoked, now(), now() + 3600)
      for (const id of ids) {
        const expected = id === revoked
        assert.equal(await store.isRevoked({ sub: uid('u'), jti: id }), expected, `jti ${id}`)
        assert.equal(await store.isRevoked({ sub: id, iat: now() - 1 }), expected, `sub ${id}`)
        assert.equal(await store.isRevoked({ sub: uid('u'), sid: id }), false, `sid ${id}`)
        assert.equal(await store.isRevoked({ sub: uid('u'), fam: id }), false, `fam ${id}`)
      }
    })

    void test('revocations expire at their expiresAt, and are never shortened', async () => {
      const harness = await makeHarness()
      const { store, now } = harness
      const sub = uid('user')
      const soon = now() + 1
      const [jti, sid, fam, kept] = [uid('jti'), uid('sid'), uid('fam'), uid('jti')]
      const subject = uid('user')
      await store.revoke('jti', jti, soon)
      await store.revoke('sid', sid, soon)
      await store.revoke('fam', fam, soon)
      await store.revokeSubject(subject, now(), soon)
      await store.revoke('jti', kept, now() + 3600)
      await store.revoke('jti', kept, soon) // a shorter expiry never shortens a revocation
      for (const query of [{ jti }, { sid }, { fam }, { jti: kept }])
        assert.equal(await store.isRevoked({ sub, ...query }), true)
      assert.equal(await store.isRevoked({ sub: subject }), true)

      await harness.advance(1.2)

      for (const query of [{ jti }, { sid }, { fam }])
        assert.equal(await store.isRevoked({ sub, ...query }), false)
      assert.equal(await store.isRevoked({ sub: subject }), false)
      assert.equal(await store.isRevoked({ sub, jti: kept }), true)
    })
  })
}

/**
 * Registers the {@link RefreshFamilyStore} contract under `describe(name)`: one `ok` per refresh
 * token, reuse revoking the family (as `isRevoked` sees it), races, expiry and misuse.
 *
 * @param name - the implementation's name, shown in the report
 * @param makeHarness - builds a fresh store (and its clock) for each test
 */
export function runRefreshFamilyContract(
  name: string,
  makeHarness: MakeHarness<RefreshFamilyHarnessStore>,
): void {
  void describe(`${name} (RefreshFamilyStore contract)`, () => {
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

    void test('misuse rejects with TypeError', async () => {
      const { store, now } = await makeHarness()
      await assert.rejects(store.useRefreshToken(uid('fam'), uid('jti'), Infinity), TypeError)
      await assert.rejects(store.useRefreshToken(uid('fam'), uid('jti'), Number.NaN), TypeError)
      await assert.rejects(
        store.useRefreshToken(uid('fam'), uid('jti'), String(now()) as unknown as number),
        TypeError,
      )
    })

    identifierTests(makeHarness, ({ store, now }) => (bad) => [
      ['useRefreshToken fam', () => store.useRefreshToken(bad, 'j', now() + 60)],
      ['useRefreshToken jti', () => store.useRefreshToken('f', bad, now() + 60)],
    ])

    void test('ids with separators never reach another refresh token', async () => {
      const { store, now } = await makeHarness()
      const ids = trickyIds(uid('x'))
      const until = now() + 3600
      // Every (fam, jti) pair is a distinct refresh token: each is `ok` exactly once.
      for (const fam of ids)
        for (const jti of ids)
          assert.equal(await store.useRefreshToken(fam, jti, until), 'ok', `${fam} | ${jti}`)
    })

    void test('a spent refresh token is forgotten once its family has expired', async () => {
      const harness = await makeHarness()
      const { store, now } = harness
      const [fam, jti] = [uid('fam'), uid('jti')]
      assert.equal(await store.useRefreshToken(fam, jti, now() + 1), 'ok')
      await harness.advance(1.2)
      assert.equal(await store.useRefreshToken(fam, jti, now() + 3600), 'ok')
    })
  })
}

/**
 * Registers the {@link SessionStore} contract under `describe(name)`: save, read, list (oldest
 * first), delete, copies, expiry and identifiers.
 *
 * @param name - the implementation's name, shown in the report
 * @param makeHarness - builds a fresh store (and its clock) for each test
 */
export function runSessionContract(name: string, makeHarness: MakeHarness<SessionStore>): void {
  void describe(`${name} (SessionStore contract)`, () => {
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

    void test('misuse rejects with TypeError', async () => {
      const { store, now } = await makeHarness()
      const record = session(uid('user'), Math.floor(now()), now() + 60)
      await assert.rejects(store.saveSession({ ...record, expiresAt: Number.NaN }), TypeError)
      await assert.rejects(store.saveSession(null as unknown as SessionRecord), TypeError)
    })

    identifierTests(makeHarness, ({ store, now }) => (bad) => {
      const record = (id: string, sub: string): SessionRecord => ({
        id,
        sub,
        createdAt: now(),
        lastActive: now(),
        expiresAt: now() + 60,
      })
      return [
        ['saveSession session.id', () => store.saveSession(record(bad, 'u'))],
        ['saveSession session.sub', () => store.saveSession(record(uid('sid'), bad))],
        ['getSession id', () => store.getSession(bad)],
        ['listSessions sub', () => store.listSessions(bad)],
        ['deleteSession id', () => store.deleteSession(bad)],
        ['deleteSessions sub', () => store.deleteSessions(bad)],
      ]
    })

    void test("'a\\ud800' is refused while 'a\\ufffd' and astral characters work", async () => {
      const { store, now } = await makeHarness()
      const t = Math.floor(now())
      const replacement = `${uid('user')}\ufffd`
      const astral = `${uid('user')}\u{1f600}`
      const mine = session(replacement, t, t + 3600)
      await store.saveSession(mine)
      await store.saveSession(session(astral, t, t + 3600))
      await assert.rejects(store.listSessions(`${replacement.slice(0, -1)}\ud800`), TypeError)
      await assert.rejects(store.deleteSessions(`${replacement.slice(0, -1)}\ud800`), TypeError)
      assert.deepEqual(await store.listSessions(replacement), [mine])
      assert.equal((await store.listSessions(astral)).length, 1)
    })

    void test("ids with separators never reach another subject's sessions", async () => {
      const { store, now } = await makeHarness()
      const t = Math.floor(now())
      const subjects = trickyIds(uid('sub'))
      const saved = new Map<string, SessionRecord>()
      for (const [i, sub] of subjects.entries()) {
        // The session id spells the next subject, to tempt a store that confused the two.
        const record = {
          ...session(sub, t, t + 3600),
          id: `${subjects[(i + 1) % subjects.length]!}`,
        }
        await store.saveSession(record)
        saved.set(sub, record)
      }
      for (const sub of subjects)
        assert.deepEqual(await store.listSessions(sub), [saved.get(sub)], sub)
      assert.equal(await store.deleteSessions(subjects[0]!), 1)
      for (const sub of subjects.slice(1))
        assert.deepEqual(await store.listSessions(sub), [saved.get(sub)], `${sub} untouched`)
    })

    void test('sessions expire at their expiresAt', async () => {
      const harness = await makeHarness()
      const { store, now } = harness
      const sub = uid('user')
      const short = session(sub, Math.floor(now()), now() + 1)
      const long = session(sub, Math.floor(now()) + 1, now() + 3600)
      await store.saveSession(short)
      await store.saveSession(long)
      assert.deepEqual(await store.listSessions(sub), [short, long])

      await harness.advance(1.2)

      assert.equal(await store.getSession(short.id), null)
      assert.deepEqual(await store.getSession(long.id), long)
      assert.deepEqual(await store.listSessions(sub), [long], 'expired sessions are not listed')
      assert.equal(await store.deleteSession(short.id), false)
      assert.equal(await store.deleteSessions(sub), 1)
    })
  })
}

/**
 * Registers the {@link RateLimitStore} contract under `describe(name)`: fixed windows on the
 * caller's `now`, independent keys, reset, concurrency and misuse.
 *
 * @param name - the implementation's name, shown in the report
 * @param makeHarness - builds a fresh store (and its clock) for each test
 */
export function runRateLimitContract(name: string, makeHarness: MakeHarness<RateLimitStore>): void {
  void describe(`${name} (RateLimitStore contract)`, () => {
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

    void test('misuse rejects with TypeError', async () => {
      const { store, now } = await makeHarness()
      await assert.rejects(store.hit(uid('key'), 0, now()), TypeError)
      await assert.rejects(store.hit(uid('key'), -1, now()), TypeError)
      await assert.rejects(store.hit(uid('key'), Number.NaN, now()), TypeError)
      await assert.rejects(store.hit(uid('key'), 10, Number.NaN), TypeError)
    })

    identifierTests(makeHarness, ({ store, now }) => (bad) => [
      ['hit key', () => store.hit(bad, 60, now())],
      ['resetHits key', () => store.resetHits(bad)],
    ])

    void test('rate-limit keys with separators count apart', async () => {
      const { store, now } = await makeHarness()
      const keys = trickyIds(uid('ip'))
      const t = now()
      for (const [i, key] of keys.entries())
        for (let n = 0; n <= i; n++) await store.hit(key, 60, t)
      for (const [i, key] of keys.entries())
        assert.equal((await store.hit(key, 60, t)).count, i + 2, key)
      await store.resetHits(keys[0]!)
      for (const [i, key] of keys.entries())
        assert.equal((await store.hit(key, 60, t)).count, i === 0 ? 1 : i + 3, key)
    })
  })
}

/**
 * Registers the whole {@link Store} contract under `describe(name)`: the four interface suites on
 * fresh stores from one factory.
 *
 * @param name - the implementation's name, shown in the report
 * @param makeHarness - builds a fresh store (and its clock) for each test
 */
export function runStoreContract(name: string, makeHarness: MakeHarness): void {
  void describe(`${name} (Store contract)`, () => {
    runRevocationContract(name, makeHarness)
    runRefreshFamilyContract(name, makeHarness)
    runSessionContract(name, makeHarness)
    runRateLimitContract(name, makeHarness)
  })
}
