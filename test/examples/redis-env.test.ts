/**
 * How the quickstarts read where Redis is: `REDIS_URL`, `REDIS_CLUSTER_NODES` (`host:port,...`)
 * or `REDIS_SENTINELS` with `REDIS_SENTINEL_MASTER`; one of them at most, each checked.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseNodes, redisTargetFromEnv } from '../../examples/shared/redis.ts'

void describe('the quickstarts read their Redis from the environment', () => {
  void test('nothing set: no Redis (the embedded store)', () => {
    assert.equal(redisTargetFromEnv({}), undefined)
    assert.equal(redisTargetFromEnv({ REDIS_URL: '  ' }), undefined)
  })

  void test('REDIS_URL: one server', () => {
    assert.equal(redisTargetFromEnv({ REDIS_URL: 'redis://h:1/0' }), 'redis://h:1/0')
  })

  void test('REDIS_CLUSTER_NODES: seed nodes, IPv6 in brackets', () => {
    assert.deepEqual(redisTargetFromEnv({ REDIS_CLUSTER_NODES: 'a:7000, b:7001,[::1]:7002' }), {
      clusterNodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    })
  })

  void test('REDIS_SENTINELS with REDIS_SENTINEL_MASTER', () => {
    assert.deepEqual(
      redisTargetFromEnv({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_MASTER: 'm' }),
      {
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
        ],
        sentinelMaster: 'm',
      },
    )
    assert.throws(() => redisTargetFromEnv({ REDIS_SENTINELS: 's1:26379' }), {
      message: "REDIS_SENTINELS needs REDIS_SENTINEL_MASTER, the master's name",
    })
  })

  void test('two kinds at once, or an entry that is not host:port, is refused by name', () => {
    assert.throws(
      () => redisTargetFromEnv({ REDIS_URL: 'redis://h', REDIS_CLUSTER_NODES: 'a:1' }),
      {
        message: 'set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS',
      },
    )
    for (const bad of ['a', 'a:', ':1', 'a:0', 'a:65536', 'a:1,', 'a:x']) {
      assert.throws(() => parseNodes('REDIS_CLUSTER_NODES', bad), /^Error: REDIS_CLUSTER_NODES: '/)
    }
  })
})
