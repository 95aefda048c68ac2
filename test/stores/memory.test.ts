import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { once } from 'node:events'
import { StoreUnavailableError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { MemoryStoreFullEvent, MemoryStoreMap } from '../../src/stores/memory.ts'
import type { SessionRecord } from '../../src/stores/types.ts'
import { runStoreContract } from './store-contract.ts'

const START = 1_700_000_000

/** Asserts that `promise` rejects with exactly `Class` (not a subclass), then runs `check`. */
async function rejectsExactly<E extends Error>(
  promise: Promise<unknown>,
  Class: new (...args: never[]) => E,
  check: (error: E) => void = () => {},
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as Error).constructor, Class, `got ${String(error)}`)
    check(error as E)
    return true
  })
}

runStoreContract('MemoryStore', () => {
  let now = START
  const store = new MemoryStore({ clock: () => now })
  return {
    store,
    now: () => now,
    advance: (seconds) => {
      now += seconds
      return Promise.resolve()
    },
  }
})

void describe('MemoryStore', () => {
  void test('rejects a bad maxEntries or clock at construction', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN])
      assert.throws(() => new MemoryStore({ maxEntries }), TypeError)
    assert.throws(() => new MemoryStore({ clock: 42 as unknown as () => number }), TypeError)
  })

  void test('defaults to the wall clock', async () => {
    const store = new MemoryStore()
    await store.revoke('jti', 'a', Date.now() / 1000 + 60)
    await store.revoke('jti', 'b', Date.now() / 1000 - 1)
    assert.equal(await store.isRevoked({ sub: 'u', jti: 'a' }), true)
    assert.equal(await store.isRevoked({ sub: 'u', jti: 'b' }), false)
  })

  void describe('bounded size, fail closed', () => {
    void test('a full map drops expired entries first, then refuses with StoreUnavailableError', async () => {
      let now = START
      const events: MemoryStoreFullEvent[] = []
      const store = new MemoryStore({
        maxEntries: 3,
        clock: () => now,
        onFull: (event) => events.push(event),
      })
      await store.revoke('jti', 'a', now + 10)
      await store.revoke('jti', 'b', now + 100)
      await store.revoke('jti', 'c', now + 1000)
      now += 20 // 'a' has expired
      await store.revoke('jti', 'd', now + 500)
      assert.equal(store.stats().revokedTokens, 3)
      assert.equal(events.length, 0, 'an expired entry made room: nothing to report')

      // Re-revoking a held key needs no room.
      await store.revoke('jti', 'c', now + 2000)
      assert.equal(events.length, 0)

      await rejectsExactly(store.revoke('jti', 'e', now + 5000), StoreUnavailableError, (error) => {
        assert.equal(error.statusCode, 503)
        assert.equal(error.reason, 'maxEntries (3) reached for revokedTokens')
      })
      assert.equal(store.stats().revokedTokens, 3)
      for (const jti of ['b', 'c', 'd'])
        assert.equal(await store.isRevoked({ sub: 'u', jti }), true, `${jti} is still revoked`)
      assert.equal(await store.isRevoked({ sub: 'u', jti: 'e' }), false, 'e was refused')
      assert.equal(events.length, 1)
      assert.deepEqual(
        { ...events[0], message: undefined },
        {
          map: 'revokedTokens',
          maxEntries: 3,
          option: 'maxEntries',
          action: 'refused',
          message: undefined,
        },
      )
      assert.match(events[0]!.message, /maxEntries \(3\) reached for revokedTokens/)
      assert.match(events[0]!.message, /Raise maxEntries/)

      now += 90 // 'b' has expired: room again
      await store.revoke('jti', 'e', now + 5000)
      assert.equal(await store.isRevoked({ sub: 'u', jti: 'e' }), true)
    })

    void test('every security map refuses when full; only rate-limit windows are evicted', async () => {
      const now = START
      const events: MemoryStoreFullEvent[] = []
      const store = new MemoryStore({
        maxEntries: 50,
        clock: () => now,
        onFull: (event) => events.push(event),
      })
      const session = (i: number): SessionRecord => ({
        id: `sess${i}`,
        sub: `u${i % 7}`,
        createdAt: now,
        lastActive: now,
        expiresAt: now + 60 + i,
      })
      const writes: Record<
        Exclude<MemoryStoreMap, 'rateLimits'>,
        (i: number) => Promise<unknown>
      > = {
        revokedTokens: (i) => store.revoke('jti', `j${i}`, now + 60 + i),
        revokedSessions: (i) => store.revoke('sid', `s${i}`, now + 60 + i),
        revokedFamilies: (i) => store.revoke('fam', `f${i}`, now + 60 + i),
        revokedSubjects: (i) => store.revokeSubject(`u${i}`, now, now + 60 + i),
        usedRefreshTokens: (i) => store.useRefreshToken(`fam${i}`, `j${i}`, now + 60 + i),
        sessions: (i) => store.saveSession(session(i)),
      }
      for (const [map, write] of Object.entries(writes)) {
        for (let i = 0; i < 50; i++) await write(i)
        for (let i = 50; i < 60; i++)
          await rejectsExactly(write(i), StoreUnavailableError, (error) =>
            assert.equal(error.reason, `maxEntries (50) reached for ${map}`),
          )
      }
      for (let i = 0; i < 60; i++) await store.hit(`ip${i}`, 60 + i, now)
      const stats = store.stats()
      for (const [map, size] of Object.entries(stats)) assert.equal(size, 50, map)
      // The first entries, the soonest to expire, are the ones a full map used to drop.
      assert.equal(await store.isRevoked({ sub: 'x', jti: 'j0' }), true)
      assert.equal(await store.isRevoked({ sub: 'x', sid: 's0' }), true)
      assert.equal(await store.isRevoked({ sub: 'x', fam: 'f0' }), true)
      assert.equal(await store.isRevoked({ sub: 'u0', iat: now }), true)
      // A reuse of a spent token still finds its marker; with the family map full the family
      // cannot be revoked, so the answer is a 503, never `ok`.
      await rejectsExactly(store.useRefreshToken('fam0', 'j0', now + 60), StoreUnavailableError)
      assert.equal((await store.getSession('sess0'))?.id, 'sess0')
      assert.equal((await store.listSessions('u0')).length, 8)
      // Rate limits may go: the windows closest to their end made room for the new ones.
      assert.equal((await store.hit('ip0', 60, now)).count, 1, 'ip0 was evicted, counts anew')
      assert.equal((await store.hit('ip59', 119, now)).count, 2, 'ip59 was kept')
      // One report per map (the later refusals fall within the same minute).
      assert.deepEqual(
        events.map(({ map, action }) => `${map}:${action}`),
        [
          'revokedTokens:refused',
          'revokedSessions:refused',
          'revokedFamilies:refused',
          'revokedSubjects:refused',
          'usedRefreshTokens:refused',
          'sessions:refused',
          'rateLimits:evicted',
        ],
      )
    })

    void test('a refused session changes nothing, and an expired one makes room', async () => {
      let now = START
      const store = new MemoryStore({ maxEntries: 2, clock: () => now, onFull: () => {} })
      const record = (id: string, sub: string, expiresAt: number): SessionRecord => ({
        id,
        sub,
        createdAt: now,
        lastActive: now,
        expiresAt,
      })
      await store.saveSession(record('s0', 'alice', now + 300))
      await store.saveSession(record('s1', 'alice', now + 100))
      await rejectsExactly(store.saveSession(record('s2', 'bob', now + 200)), StoreUnavailableError)
      assert.deepEqual(await store.listSessions('bob'), [])
      assert.equal(await store.getSession('s2'), null)
      // Replacing a held session needs no room, even when it moves to another subject.
      await store.saveSession({ ...record('s1', 'bob', now + 100), lastActive: now + 1 })
      assert.deepEqual(
        (await store.listSessions('alice')).map((s) => s.id),
        ['s0'],
      )
      assert.deepEqual(
        (await store.listSessions('bob')).map((s) => s.id),
        ['s1'],
      )
      now += 150 // s1 has expired
      await store.saveSession(record('s2', 'carol', now + 200))
      assert.deepEqual(await store.listSessions('bob'), [], 'the expired session left the index')
      assert.equal(await store.deleteSessions('alice'), 1)
      assert.equal(await store.deleteSessions('carol'), 1)
      assert.equal(store.stats().sessions, 0)
    })

    void test('maxEntriesPerMap caps one map over maxEntries and is named in the reason', async () => {
      const now = START
      const events: MemoryStoreFullEvent[] = []
      const store = new MemoryStore({
        maxEntries: 2,
        maxEntriesPerMap: { usedRefreshTokens: 4 },
        clock: () => now,
        onFull: (event) => events.push(event),
      })
      for (let i = 0; i < 4; i++)
        assert.equal(await store.useRefreshToken('f', `j${i}`, now + 60), 'ok')
      await rejectsExactly(store.useRefreshToken('f', 'j4', now + 60), StoreUnavailableError, (e) =>
        assert.equal(
          e.reason,
          'maxEntriesPerMap.usedRefreshTokens (4) reached for usedRefreshTokens',
        ),
      )
      await store.revoke('jti', 'a', now + 60)
      await store.revoke('jti', 'b', now + 60)
      await rejectsExactly(store.revoke('jti', 'c', now + 60), StoreUnavailableError, (e) =>
        assert.equal(e.reason, 'maxEntries (2) reached for revokedTokens'),
      )
      assert.deepEqual(
        events.map(({ option }) => option),
        ['maxEntriesPerMap.usedRefreshTokens', 'maxEntries'],
      )
      assert.match(events[0]!.message, /Raise maxEntriesPerMap\.usedRefreshTokens/)
    })

    void test('a reuse that finds the family map full fails closed and never answers ok', async () => {
      const now = START
      const store = new MemoryStore({
        maxEntries: 1,
        maxEntriesPerMap: { usedRefreshTokens: 10 },
        clock: () => now,
        onFull: () => {},
      })
      await store.revoke('fam', 'other', now + 60)
      assert.equal(await store.useRefreshToken('f', 'j', now + 60), 'ok')
      await rejectsExactly(store.useRefreshToken('f', 'j', now + 60), StoreUnavailableError)
      // The spent marker is still there: the next attempt is refused again, never `ok`.
      await rejectsExactly(store.useRefreshToken('f', 'j', now + 60), StoreUnavailableError)
    })

    void test('onFull is told at most once a minute per map, by the store clock', async () => {
      let now = START
      const events: MemoryStoreFullEvent[] = []
      const store = new MemoryStore({
        maxEntries: 1,
        clock: () => now,
        onFull: (event) => events.push(event),
      })
      await store.revoke('jti', 'held', now + 3600)
      for (let i = 0; i < 10; i++)
        await rejectsExactly(store.revoke('jti', `x${i}`, now + 60), StoreUnavailableError)
      await store.revoke('sid', 'y', now + 60)
      await rejectsExactly(store.revoke('sid', 'z', now + 60), StoreUnavailableError)
      assert.deepEqual(
        events.map(({ map }) => map),
        ['revokedTokens', 'revokedSessions'],
      )
      now += 59
      await rejectsExactly(store.revoke('jti', 'later', now + 60), StoreUnavailableError)
      assert.equal(events.length, 2)
      now += 1
      await rejectsExactly(store.revoke('jti', 'later', now + 60), StoreUnavailableError)
      assert.equal(events.length, 3)
    })

    void test('an onFull that throws does not change the outcome', async () => {
      const now = START
      const store = new MemoryStore({
        maxEntries: 1,
        clock: () => now,
        onFull: () => {
          throw new Error('logger down')
        },
      })
      await store.revoke('jti', 'a', now + 60)
      await rejectsExactly(store.revoke('jti', 'b', now + 60), StoreUnavailableError)
      await store.hit('k1', 60, now)
      assert.equal((await store.hit('k2', 60, now)).count, 1)
    })

    void test('by default a full map emits a process warning naming the cap', async () => {
      const now = START
      const store = new MemoryStore({ maxEntries: 1, clock: () => now })
      await store.revoke('jti', 'a', now + 60)
      const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>
      await rejectsExactly(store.revoke('jti', 'b', now + 60), StoreUnavailableError)
      const [warning] = await warned
      assert.equal(warning.name, 'AuthXWarning')
      assert.equal(warning.code, 'AUTHX_MEMORY_STORE_FULL')
      assert.match(warning.message, /maxEntries \(1\) reached for revokedTokens/)
    })

    void test('rejects bad per-map caps and a bad onFull at construction', () => {
      for (const cap of [0, -1, 1.5, Number.NaN])
        assert.throws(() => new MemoryStore({ maxEntriesPerMap: { sessions: cap } }), TypeError)
      assert.throws(
        () => new MemoryStore({ maxEntriesPerMap: { tokens: 5 } as Record<string, number> }),
        TypeError,
      )
      assert.throws(() => new MemoryStore({ onFull: 'log' as unknown as () => void }), TypeError)
    })

    void test('a session moved to another subject leaves the old index', async () => {
      const now = START
      const store = new MemoryStore({ clock: () => now })
      const base = { id: 's', createdAt: now, lastActive: now, expiresAt: now + 60 }
      await store.saveSession({ ...base, sub: 'alice' })
      await store.saveSession({ ...base, sub: 'bob' })
      assert.deepEqual(await store.listSessions('alice'), [])
      assert.equal((await store.listSessions('bob')).length, 1)
      // Saving an already expired record forgets the session.
      await store.saveSession({ ...base, sub: 'bob', expiresAt: now - 1 })
      assert.equal(await store.getSession('s'), null)
      assert.deepEqual(await store.listSessions('bob'), [])
    })

    void test('expired entries are swept by later writes, without reads', async () => {
      let now = START
      const store = new MemoryStore({ clock: () => now })
      for (let i = 0; i < 100; i++) await store.revoke('jti', `old${i}`, now + 1)
      now += 2
      for (let i = 0; i < 10; i++) await store.revoke('jti', `new${i}`, now + 60)
      assert.equal(store.stats().revokedTokens, 10)
    })

    void test('rewriting one key many times keeps working (stale heap nodes are compacted)', async () => {
      let now = START
      const store = new MemoryStore({ maxEntries: 10, clock: () => now })
      const record = { id: 's', sub: 'alice', createdAt: now, lastActive: now, expiresAt: now }
      for (let i = 0; i < 20_000; i++)
        await store.saveSession({ ...record, lastActive: now + i, expiresAt: now + 10 + i })
      assert.equal(store.stats().sessions, 1)
      assert.equal((await store.getSession('s'))?.lastActive, now + 19_999)
      now += 20_010
      assert.equal(await store.getSession('s'), null)
    })
  })

  void describe('holdsRevocations', () => {
    const fresh = (now: number): MemoryStore =>
      new MemoryStore({ clock: () => now, onFull: () => {} })

    void test('false on a new store and after writes that revoke nothing', async () => {
      const now = START
      const store = fresh(now)
      assert.equal(store.holdsRevocations, false)
      await store.isRevoked({ sub: 'u', jti: 'j', sid: 's', fam: 'f', iat: now })
      await store.saveSession({
        id: 's',
        sub: 'u',
        createdAt: now,
        lastActive: now,
        expiresAt: now + 60,
      })
      await store.getSession('s')
      await store.listSessions('u')
      await store.deleteSession('s')
      await store.deleteSessions('u')
      await store.hit('k', 60, now)
      await store.resetHits('k')
      assert.equal(await store.useRefreshToken('f', 'j1', now + 60), 'ok')
      assert.equal(await store.useRefreshToken('f', 'j2', now + 60), 'ok')
      // Refused calls write nothing.
      await assert.rejects(store.revoke('jti', 'a\ud800', now + 60), TypeError)
      await assert.rejects(store.revokeSubject('u', Number.NaN, now + 60), TypeError)
      assert.equal(store.holdsRevocations, false)
    })

    const revocations: Record<string, (store: MemoryStore, now: number) => Promise<unknown>> = {
      "revoke('jti')": (store, now) => store.revoke('jti', 'j', now + 60),
      "revoke('sid')": (store, now) => store.revoke('sid', 's', now + 60),
      "revoke('fam')": (store, now) => store.revoke('fam', 'f', now + 60),
      revokeSubject: (store, now) => store.revokeSubject('u', now, now + 60),
      'a refresh-token reuse (revokes the family)': async (store, now) => {
        await store.useRefreshToken('f', 'j', now + 60)
        assert.equal(store.holdsRevocations, false, 'a first use revokes nothing')
        assert.equal(await store.useRefreshToken('f', 'j', now + 60), 'reused')
      },
    }
    for (const [name, write] of Object.entries(revocations)) {
      void test(`true after ${name}, and it stays true once the entry expired`, async () => {
        let now = START
        const store = new MemoryStore({ clock: () => now })
        await write(store, now)
        assert.equal(store.holdsRevocations, true)
        now += 3600
        assert.equal(await store.isRevoked({ sub: 'u', jti: 'j', sid: 's', fam: 'f' }), false)
        assert.equal(store.holdsRevocations, true)
      })
    }

    void test('is a read-only getter', () => {
      const store = fresh(START)
      assert.throws(() => {
        ;(store as unknown as { holdsRevocations: boolean }).holdsRevocations = true
      }, TypeError)
      assert.equal(store.holdsRevocations, false)
    })
  })

  void describe('no timers', () => {
    void test('using the store creates no timer or handle', async () => {
      const before = process.getActiveResourcesInfo().filter((r) => r !== 'PromiseResolve')
      const store = new MemoryStore()
      const now = Date.now() / 1000
      await store.revoke('jti', 'x', now + 3600)
      await store.saveSession({
        id: 's',
        sub: 'u',
        createdAt: now,
        lastActive: now,
        expiresAt: now + 60,
      })
      await store.hit('k', 60, now)
      await store.useRefreshToken('f', 'j', now + 60)
      const after = process.getActiveResourcesInfo().filter((r) => r !== 'PromiseResolve')
      assert.deepEqual(after, before)
    })

    void test('a process holding a populated store exits on its own', async () => {
      const storeUrl = new URL('../../src/stores/memory.ts', import.meta.url).href
      const program = `
        import { MemoryStore } from ${JSON.stringify(storeUrl)}
        const store = new MemoryStore()
        const now = Date.now() / 1000
        for (let i = 0; i < 1000; i++) await store.revoke('jti', 'j' + i, now + 3600)
        await store.saveSession({ id: 's', sub: 'u', createdAt: now, lastActive: now, expiresAt: now + 3600 })
        globalThis.keep = store
        console.log('done')
      `
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>(
        (resolve) => {
          execFile(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '--eval', program],
            { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 30_000 },
            (error, out) =>
              resolve({ code: error === null ? 0 : (error.code as number), stdout: out }),
          )
        },
      )
      assert.equal(code, 0, 'the process exited by itself (killed by the timeout otherwise)')
      assert.equal(stdout.trim(), 'done')
    })
  })
})
