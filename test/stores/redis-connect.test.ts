/**
 * A Redis URL that cannot be reached: `createRedisStore` rejects with a message that names the URL,
 * without its credentials, and the reason the connection failed, so a user who mistyped
 * `REDIS_URL` sees which address was tried and why, and never their password in a log.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createRedisStore } from '../../src/stores/redis.ts'
import { freePort } from '../helpers/processes.ts'

void describe('createRedisStore on an unreachable URL', () => {
  void test('names the URL and the cause', async () => {
    const port = await freePort()
    const url = `redis://127.0.0.1:${port}/0`
    await assert.rejects(createRedisStore(url), (error: Error) => {
      assert.equal(error.constructor, Error)
      assert.ok(error.message.includes(url), error.message)
      assert.match(error.message, /ECONNREFUSED/)
      assert.ok(error.cause instanceof Error)
      return true
    })
  })

  void test('leaves the user name and password out of the message', async () => {
    const port = await freePort()
    const url = `redis://alice:s3cret-pa55@127.0.0.1:${port}`
    await assert.rejects(createRedisStore(url), (error: Error) => {
      assert.ok(!error.message.includes('s3cret-pa55'), error.message)
      assert.ok(!error.message.includes('alice'), error.message)
      assert.ok(error.message.includes(`redis://***@127.0.0.1:${port}`), error.message)
      assert.match(error.message, /ECONNREFUSED/)
      return true
    })
  })

  void test('a cluster names its seed nodes', async () => {
    const port = await freePort()
    await assert.rejects(
      createRedisStore({ clusterNodes: [{ host: '127.0.0.1', port }] }),
      (error: Error) => {
        assert.ok(error.message.includes(`cluster nodes 127.0.0.1:${port}`), error.message)
        assert.ok(error.cause instanceof Error)
        return true
      },
    )
  })

  void test('a host that does not resolve says so', async () => {
    // `.invalid` never resolves (RFC 2606), so the failure is the lookup, on any network.
    const url = 'redis://:hunter2@authx-ts-no-such-host.invalid:6379'
    await assert.rejects(createRedisStore(url), (error: Error) => {
      assert.ok(!error.message.includes('hunter2'), error.message)
      assert.ok(error.message.includes('authx-ts-no-such-host.invalid:6379'), error.message)
      assert.match(error.message, /ENOTFOUND|EAI_AGAIN/)
      return true
    })
  })
})
