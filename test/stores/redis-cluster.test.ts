/**
 * RedisStore on a real Redis Cluster: six `redis-server --cluster-enabled yes` processes on
 * loopback ports (three masters, three replicas, joined by `redis-cli --cluster create`), started
 * and killed by this file. The whole store contract runs on it (a script whose keys sat in two
 * slots would fail with CROSSSLOT), a near-cache hears revocations made through another node, and
 * a master is killed under a stream of revocations: the replica takes over, and every revocation
 * that was acknowledged (`WAIT` for one replica) is still there afterwards.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisStore, createRedisStore } from '../../src/stores/redis.ts'
import { eventually } from '../helpers/eventually.ts'
import { startRedisCluster } from '../helpers/redis-server.ts'
import type { RedisClusterProcesses } from '../helpers/redis-server.ts'
import { runStoreContract } from './store-contract.ts'

/** How long a failover may take on a loaded machine (node timeout 3 s): a liveness bound. */
const FAILOVER_WITHIN_MS = 60_000

const cluster: RedisClusterProcesses = await startRedisCluster()
const stores: RedisStore[] = []

/** A store on the cluster through a client of its own, under a fresh prefix. */
async function clusterStore(options: { nearCache?: boolean } = {}): Promise<RedisStore> {
  const store = await createRedisStore(
    { clusterNodes: cluster.seeds },
    { prefix: `authx-test:${randomUUID()}:`, ...options },
  )
  store.client.on('error', () => {})
  stores.push(store)
  return store
}

after(async () => {
  for (const store of stores) {
    store.close()
    store.client.disconnect()
  }
  await cluster.stop()
})

const shared = await clusterStore()

runStoreContract('RedisStore on a Redis Cluster', () => ({
  store: new RedisStore(shared.client, { prefix: `authx-test:${randomUUID()}:` }),
  now: () => Date.now() / 1000,
  advance: (seconds) => sleep(seconds * 1000),
}))

void describe('RedisStore on a Redis Cluster', () => {
  void test('the keys of one refresh family share a slot; revocation keys spread over masters', async () => {
    const store = await clusterStore()
    const fam = `fam-{${randomUUID()}}`
    // Braces in the id cannot move the family off its slot: the tag is a digest.
    assert.equal(await store.useRefreshToken(fam, 'a', Date.now() / 1000 + 60), 'ok')
    assert.equal(await store.useRefreshToken(fam, 'a', Date.now() / 1000 + 60), 'reused')
    assert.equal(await store.isRevoked({ sub: 'u', fam }), true)
    const owners = new Set<number>()
    for (let i = 0; i < 12; i++) {
      const jti = randomUUID()
      await store.revoke('jti', jti, Date.now() / 1000 + 60)
      owners.add((await cluster.masterOf(`${store.prefix}rev:jti:${jti}`)).port)
    }
    assert.ok(owners.size > 1, 'revocations live on more than one master')
  })

  void test('a near-cache on one client hears a revocation made through another', async () => {
    const writer = await clusterStore()
    const reader = new RedisStore((await clusterStore()).client, {
      prefix: writer.prefix,
      nearCache: { maxStalenessMs: 2000 },
    })
    stores.push(reader)
    const query = { sub: `user-${randomUUID()}`, jti: randomUUID(), iat: Date.now() / 1000 }
    await eventually(async () => {
      assert.equal(reader.nearCacheStats?.usable, true)
    }, 10_000)
    assert.equal(await reader.isRevoked(query), false)
    assert.equal(await reader.isRevoked(query), false)
    const hits = reader.nearCacheStats?.hits ?? 0
    assert.ok(hits >= 1, 'the second check came from memory')
    const heard = reader.nearCacheStats?.invalidations ?? 0
    await writer.revoke('jti', query.jti, Date.now() / 1000 + 60)
    await eventually(async () => {
      assert.ok((reader.nearCacheStats?.invalidations ?? 0) > heard, 'invalidation received')
    }, 10_000)
    assert.equal(await reader.isRevoked(query), true)
  })

  void test('a master killed under load: the replica takes over, no acknowledged revocation is lost', async (t) => {
    const store = await clusterStore()
    const acknowledged: string[] = []
    let failures = 0
    let stop = false
    // Four writers revoke without pause; only what resolved counts as acknowledged.
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
      const victim = await cluster.masterOf(`${store.prefix}rev:jti:${acknowledged[0]!}`)
      counts.beforeKill = acknowledged.length
      await victim.stop()
      // Writes keep going through the failover. The promoted replica has no replica of its own,
      // so revocations of its slots fail closed from then on; the other masters acknowledge.
      await eventually(async () => {
        const promoted = await cluster.masterOf(`${store.prefix}rev:jti:${acknowledged[0]!}`)
        assert.notEqual(promoted.port, victim.port)
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
      const revoked = await eventually(() => store.isRevoked({ sub: 'u', jti }), FAILOVER_WITHIN_MS)
      if (!revoked) lost.push(jti)
    }
    assert.deepEqual(lost, [], 'every acknowledged revocation survived the failover')
  })
})
