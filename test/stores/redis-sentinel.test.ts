/**
 * RedisStore behind Sentinel: a master, two replicas and a sentinel (`redis-server --sentinel`, the
 * program of Debian's `redis-sentinel`), on loopback ports of this file's own, reached through
 * `createRedisStore({ sentinels, sentinelMaster })`. The whole store contract runs through it; then
 * the master is killed under a stream of revocations, the sentinel promotes a replica, the same
 * store follows it without a restart, and every revocation that was acknowledged (`WAIT` for one
 * replica, the default on a Sentinel client) is still there. The other replica is what lets
 * revocations be acknowledged again after the failover: with none left, they fail closed.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisStore, createRedisStore } from '../../src/stores/redis.ts'
import { eventually } from '../helpers/eventually.ts'
import { startRedisSentinel } from '../helpers/redis-server.ts'
import type { RedisSentinelProcesses } from '../helpers/redis-server.ts'
import { runStoreContract } from './store-contract.ts'

/** How long a failover may take on a loaded machine (down-after 3 s): a liveness bound. */
const FAILOVER_WITHIN_MS = 60_000

const setup: RedisSentinelProcesses = await startRedisSentinel()
const store = await createRedisStore(
  { sentinels: setup.sentinels, sentinelMaster: setup.name },
  { prefix: `authx-test:${randomUUID()}:` },
)
store.client.on('error', () => {})

after(async () => {
  store.close()
  store.client.disconnect()
  await setup.stop()
})

runStoreContract('RedisStore through Sentinel', () => ({
  store: new RedisStore(store.client, { prefix: `authx-test:${randomUUID()}:` }),
  now: () => Date.now() / 1000,
  advance: (seconds) => sleep(seconds * 1000),
}))

void describe('RedisStore through Sentinel', () => {
  void test('createRedisStore refuses an empty sentinel list or master name', async () => {
    await assert.rejects(createRedisStore({ sentinels: [], sentinelMaster: 'm' }), TypeError)
    await assert.rejects(
      createRedisStore({ sentinels: setup.sentinels, sentinelMaster: '' }),
      TypeError,
    )
    await assert.rejects(createRedisStore({ clusterNodes: [] }), TypeError)
  })

  void test('the master killed under load: the replica is promoted, no acknowledged revocation is lost', async (t) => {
    const acknowledged: string[] = []
    let failures = 0
    let stop = false
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const jti = randomUUID()
        try {
          await store.revoke('jti', jti, Date.now() / 1000 + 300)
          acknowledged.push(jti)
        } catch {
          failures += 1
          await sleep(20)
        }
      }
    })
    const counts = { beforeKill: 0 }
    try {
      await eventually(async () => assert.ok(acknowledged.length >= 50), 30_000)
      counts.beforeKill = acknowledged.length
      await setup.master.stop()
      await eventually(async () => {
        assert.notEqual(await setup.currentMasterPort(), setup.master.port)
      }, FAILOVER_WITHIN_MS)
      const afterFailover = acknowledged.length
      await eventually(
        async () => assert.ok(acknowledged.length >= afterFailover + 50),
        FAILOVER_WITHIN_MS,
      )
    } finally {
      stop = true
      await Promise.all(writers)
    }
    t.diagnostic(
      `${acknowledged.length} acknowledged (${counts.beforeKill} before the kill), ${failures} refused during the failover`,
    )
    const lost: string[] = []
    for (const jti of acknowledged) {
      if (!(await store.isRevoked({ sub: 'u', jti }))) lost.push(jti)
    }
    assert.deepEqual(lost, [], 'every acknowledged revocation survived the failover')
  })
})
