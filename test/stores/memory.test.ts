import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { MemoryEvictionEvent } from '../../src/stores/memory.ts'
import { runStoreContract } from './store-contract.ts'

const START = 1_700_000_000

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

  void describe('bounded size', () => {
    void test('a full map drops expired entries first, then the soonest-expiring', async () => {
      let now = START
      const evicted: MemoryEvictionEvent[] = []
      const store = new MemoryStore({
        maxEntries: 3,
        clock: () => now,
        onEvict: (event) => evicted.push(event),
      })
      await store.revoke('jti', 'a', now + 10)
      await store.revoke('jti', 'b', now + 100)
      await store.revoke('jti', 'c', now + 1000)
      now += 20 // 'a' has expired
      await store.revoke('jti', 'd', now + 500)
      assert.equal(store.stats().revokedTokens, 3)
      assert.deepEqual(evicted, [], 'an expired entry made room: no live revocation lost')
      for (const jti of ['b', 'c', 'd'])
        assert.equal(await store.isRevoked({ sub: 'u', jti }), true, jti)

      // Re-revoking a held key needs no room.
      await store.revoke('jti', 'c', now + 2000)
      assert.deepEqual(evicted, [])

      await store.revoke('jti', 'e', now + 5000)
      assert.equal(store.stats().revokedTokens, 3)
      assert.deepEqual(evicted, [{ map: 'revokedTokens', expiresAt: START + 100 }])
      assert.equal(await store.isRevoked({ sub: 'u', jti: 'b' }), false, 'soonest to expire went')
      for (const jti of ['c', 'd', 'e'])
        assert.equal(await store.isRevoked({ sub: 'u', jti }), true, jti)
    })

    void test('every map is bounded on its own', async () => {
      const now = START
      const store = new MemoryStore({ maxEntries: 50, clock: () => now })
      for (let i = 0; i < 500; i++) {
        await store.revoke('jti', `j${i}`, now + 60 + i)
        await store.revoke('sid', `s${i}`, now + 60 + i)
        await store.revoke('fam', `f${i}`, now + 60 + i)
        await store.revokeSubject(`u${i}`, now, now + 60 + i)
        await store.useRefreshToken(`fam${i}`, `j${i}`, now + 60 + i)
        await store.hit(`ip${i}`, 60, now)
        await store.saveSession({
          id: `sess${i}`,
          sub: `u${i % 7}`,
          createdAt: now,
          lastActive: now,
          expiresAt: now + 60 + i,
        })
      }
      const stats = store.stats()
      for (const [map, size] of Object.entries(stats)) assert.equal(size, 50, map)
      // The most recent (latest-expiring) entries are the ones kept.
      assert.equal(await store.isRevoked({ sub: 'x', jti: 'j499' }), true)
      assert.equal(await store.isRevoked({ sub: 'x', jti: 'j449' }), false)
    })

    void test('evicted sessions leave the per-subject index too', async () => {
      const now = START
      const store = new MemoryStore({ maxEntries: 2, clock: () => now })
      for (const [i, expiresAt] of [now + 300, now + 100, now + 200].entries())
        await store.saveSession({
          id: `s${i}`,
          sub: 'alice',
          createdAt: now + i,
          lastActive: now,
          expiresAt,
        })
      assert.deepEqual(
        (await store.listSessions('alice')).map((s) => s.id),
        ['s0', 's2'],
      )
      assert.equal(await store.deleteSessions('alice'), 2)
      assert.equal(store.stats().sessions, 0)
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
