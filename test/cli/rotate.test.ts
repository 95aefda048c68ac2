/**
 * `authx-ts rotate` against a real Redis, next to an application instance on the same ring: the
 * instance signs with the promoted key once it re-reads the ring, tokens of the replaced key keep
 * verifying, `--revoke-previous` makes them fail, and a wrong encryption key changes nothing.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { AuthX, TokenInvalidSignatureError } from '../../src/index.ts'
import type { AuthXOptions } from '../../src/index.ts'
import type { RingKeyInfo } from '../../src/core/key-ring.ts'
import { createRedisStore } from '../../src/stores/redis.ts'
import type { RedisStore } from '../../src/stores/redis.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'
import { hasStack, runCLI } from './run-cli.ts'

const ENCRYPTION_KEY = 'the rotate test encryption key of 32+ characters'

/** The kid in a token's header. */
function kidOf(token: string): unknown {
  const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as {
    kid?: unknown
  }
  return header.kid
}

void describe('authx-ts rotate', () => {
  let store: RedisStore
  let url: string
  const prefix = `authx-cli-${randomUUID()}:`
  const ring = (name: string): AuthXOptions => ({
    keyRing: { algorithm: 'ES256', encryptionKey: ENCRYPTION_KEY, name, rotateEvery: '7d' },
  })
  const rotate = (name: string, ...args: string[]) =>
    runCLI(['rotate', '--redis', url, '--prefix', prefix, '--ring', name, ...args], {
      env: { JWT_KEY_ENCRYPTION_KEY: ENCRYPTION_KEY },
    })

  before(async () => {
    url = await testRedisUrl()
    store = await createRedisStore(url, { prefix })
  })
  after(async () => {
    const keys = await store.client.keys(`${prefix}*`)
    if (keys.length > 0) await store.client.del(...keys)
    store.close()
    store.client.disconnect()
  })

  void test('the next key signs, the replaced one keeps verifying; the instance follows', async () => {
    const auth = new AuthX({ ...ring('plain'), store })
    await auth.ready()
    const before = auth.keyRingStatus() as RingKeyInfo[]
    const current = before.find((k) => k.state === 'current')
    const next = before.find((k) => k.state === 'next')
    const old = auth.createAccessToken('alice')
    assert.equal(kidOf(old), current?.kid)

    const result = await rotate('plain', '--json')
    assert.equal(result.status, 0, result.stderr)
    const out = JSON.parse(result.stdout) as { before: RingKeyInfo[]; after: RingKeyInfo[] }
    assert.deepEqual(
      out.before.map((k) => [k.kid, k.state]),
      before.map((k) => [k.kid, k.state]),
    )
    const after = new Map(out.after.map((k) => [k.kid, k]))
    assert.equal(after.get(current?.kid as string)?.state, 'retiring')
    assert.equal(after.get(next?.kid as string)?.state, 'current')
    const fresh = out.after.find((k) => k.state === 'next')
    assert.ok(fresh !== undefined && fresh.kid !== next?.kid && fresh.alg === 'ES256')
    // The new next key takes over one period (the ring's 7 days) after the promotion.
    const promoted = after.get(next?.kid as string) as RingKeyInfo
    assert.equal(Math.round(fresh.activatesAt - promoted.activatesAt), 7 * 86400)

    // The instance re-reads the ring (at most a refresh interval later; ready() does it now).
    await auth.ready()
    assert.deepEqual(
      auth.keyRingStatus()?.map((k) => [k.kid, k.state]),
      out.after.map((k) => [k.kid, k.state]),
    )
    const signed = auth.createAccessToken('bob')
    assert.equal(kidOf(signed), next?.kid)
    assert.equal((await auth.verifyToken(signed)).sub, 'bob')
    assert.equal((await auth.verifyToken(old)).sub, 'alice')
  })

  void test('the text output shows the ring before and after', async () => {
    const auth = new AuthX({ ...ring('text'), store })
    await auth.ready()
    const result = await rotate('text')
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stderr, '')
    assert.match(result.stdout, /^Before \(key ring "text" at redis:\/\/127\.0\.0\.1:\d+/)
    assert.match(result.stdout, /KID +ALG +STATE +SIGNS FROM +RETIRES/)
    assert.match(result.stdout, /\n\nRotated\.\n\nAfter:\n/)
    assert.match(result.stdout, /ES256 +retiring +\d{4}-\d\d-\d\dT\S+ +by the instances/)
  })

  void test('--revoke-previous: tokens of the old keys stop verifying at once', async () => {
    const auth = new AuthX({ ...ring('revoke'), store })
    await auth.ready()
    const old = auth.createAccessToken('alice')
    const result = await rotate('revoke', '--revoke-previous', '--json')
    assert.equal(result.status, 0, result.stderr)
    const out = JSON.parse(result.stdout) as { after: RingKeyInfo[] }
    assert.deepEqual(
      out.after.map((k) => k.state),
      ['current', 'next'],
    )
    await auth.ready()
    await assert.rejects(auth.verifyToken(old), TokenInvalidSignatureError)
    const signed = auth.createAccessToken('bob')
    assert.equal(kidOf(signed), out.after[0]?.kid)
    assert.equal((await auth.verifyToken(signed)).sub, 'bob')
  })

  void test('--retention: replaced keys get their retirement time', async () => {
    const auth = new AuthX({ ...ring('retention'), store })
    await auth.ready()
    const result = await rotate('retention', '--retention', '20d', '--json')
    assert.equal(result.status, 0, result.stderr)
    const out = JSON.parse(result.stdout) as { after: RingKeyInfo[] }
    const retiring = out.after.find((k) => k.state === 'retiring')
    const current = out.after.find((k) => k.state === 'current')
    assert.equal(retiring?.retiresAt, (current?.activatesAt as number) + 20 * 86400)
  })

  void test('a wrong encryption key fails closed: exit code 2, the ring untouched', async () => {
    const auth = new AuthX({ ...ring('sealed'), store })
    await auth.ready()
    const stored = await store.getKeyRing('sealed')
    const result = await runCLI([
      'rotate',
      '--redis',
      url,
      '--prefix',
      prefix,
      '--ring',
      'sealed',
      '--encryption-key',
      'w'.repeat(40),
    ])
    assert.equal(result.status, 2)
    assert.equal(result.stdout, '')
    assert.match(
      result.stderr,
      /^authx-ts rotate: keyRing\.encryptionKey: none of the configured keys opens key/,
    )
    assert.equal(hasStack(result.stderr), false)
    assert.deepEqual(await store.getKeyRing('sealed'), stored)
  })

  void test('no ring, no encryption key, no --redis: refused without writing', async () => {
    const absent = await rotate('absent')
    assert.equal(absent.status, 1)
    assert.match(
      absent.stderr,
      /no key ring "absent" .*an application creates it on its first start/,
    )
    assert.equal(await store.getKeyRing('absent'), null)

    const noKey = await runCLI(['rotate', '--redis', url, '--prefix', prefix, '--ring', 'plain'])
    assert.equal(noKey.status, 2)
    assert.match(noKey.stderr, /set JWT_KEY_ENCRYPTION_KEY or pass --encryption-key/)

    const noRedis = await runCLI(['rotate'], { env: { JWT_KEY_ENCRYPTION_KEY: ENCRYPTION_KEY } })
    assert.equal(noRedis.status, 2)
    assert.match(noRedis.stderr, /--redis URL is required/)

    const badPeriod = await rotate('plain', '--rotate-every', 'soon')
    assert.equal(badPeriod.status, 2)
    assert.match(badPeriod.stderr, /--rotate-every soon: expected a duration/)
  })
})
