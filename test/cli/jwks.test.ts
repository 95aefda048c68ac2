/**
 * `authx-ts jwks`: the public JWK Set of key files (exactly what `auth.jwks()` publishes for the
 * same key, and never a private member), and of a key ring in a real Redis, read without its
 * encryption key and without writing to it.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { AuthX } from '../../src/index.ts'
import type { Algorithm, PublishedJWKSet } from '../../src/index.ts'
import { createRedisStore } from '../../src/stores/redis.ts'
import type { RedisStore } from '../../src/stores/redis.ts'
import { testRedisUrl } from '../helpers/redis-server.ts'
import { hasStack, runCLI } from './run-cli.ts'

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const ENCRYPTION_KEY = 'a ring encryption key of more than 32 characters'

function assertPublicOnly(set: PublishedJWKSet): void {
  for (const jwk of set.keys) {
    for (const member of PRIVATE_MEMBERS)
      assert.equal(jwk[member], undefined, `${jwk.kid}: ${member}`)
  }
}

void describe('authx-ts jwks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authx-jwks-'))
  after(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  const keys: [Algorithm, ReturnType<typeof generateKeyPairSync>][] = [
    ['EdDSA', generateKeyPairSync('ed25519')],
    ['ES512', generateKeyPairSync('ec', { namedCurve: 'P-521' })],
    ['PS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ]
  for (const [alg, pair] of keys) {
    void test(`${alg}: a private PEM prints what auth.jwks() publishes, public members only`, async () => {
      const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
      const result = await runCLI(['jwks', file(`${alg}.pem`, pem), '--alg', alg])
      assert.equal(result.status, 0, result.stderr)
      const set = JSON.parse(result.stdout) as PublishedJWKSet
      assert.deepEqual(set, new AuthX({ algorithm: alg, privateKey: pair.privateKey }).jwks())
      assertPublicOnly(set)
    })
  }

  void test('a private JWK on standard input keeps its kid; no private member leaves', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS384' }
    const result = await runCLI(['jwks'], { input: JSON.stringify(jwk) })
    assert.equal(result.status, 0, result.stderr)
    const set = JSON.parse(result.stdout) as PublishedJWKSet
    assert.deepEqual(
      set,
      new AuthX({ algorithm: 'RS384', privateKey: pair.privateKey, keyId: 'rsa-1' }).jwks(),
    )
    assertPublicOnly(set)
    assert.equal(result.stdout.includes(jwk.d as string), false)
  })

  void test("keygen's output, PEM or JWK, publishes under keygen's kid", async () => {
    for (const format of ['pem', 'jwk']) {
      const generated = await runCLI([
        'keygen',
        '--alg',
        'ES256',
        '--kid',
        'given',
        '--format',
        format,
      ])
      assert.equal(generated.status, 0, generated.stderr)
      const result = await runCLI(['jwks', '-'], { input: generated.stdout })
      assert.equal(result.status, 0, result.stderr)
      const set = JSON.parse(result.stdout) as PublishedJWKSet
      assert.equal(set.keys.length, 1)
      assert.equal(set.keys[0]?.kid, 'given')
      assert.equal(set.keys[0]?.alg, 'ES256')
      assertPublicOnly(set)
    }
  })

  void test('several files make one set; --kid names a single key', async () => {
    const a = generateKeyPairSync('ed25519')
    const b = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const fileA = file('a.pem', a.publicKey.export({ type: 'spki', format: 'pem' }) as string)
    const fileB = file('b.pem', b.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
    const both = await runCLI(['jwks', fileA, fileB])
    assert.equal(both.status, 0, both.stderr)
    assert.deepEqual(
      (JSON.parse(both.stdout) as PublishedJWKSet).keys.map((k) => k.alg),
      ['EdDSA', 'ES256'],
    )
    const named = await runCLI(['jwks', fileA, '--kid', '2026-12'])
    assert.equal((JSON.parse(named.stdout) as PublishedJWKSet).keys[0]?.kid, '2026-12')
    const twice = await runCLI(['jwks', fileA, fileA])
    assert.equal(twice.status, 2)
    assert.match(twice.stderr, /appears twice/)
  })

  void test('refused: a secret, an RSA key without --alg, a weak or mismatched key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const cases: [string[], string, RegExp][] = [
      [
        ['jwks'],
        JSON.stringify({ kty: 'oct', k: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' }),
        /an HMAC secret is never published/,
      ],
      [
        ['jwks', file('rsa.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string)],
        '',
        /pass --alg/,
      ],
      [
        [
          'jwks',
          file('weak.pem', weak.publicKey.export({ type: 'spki', format: 'pem' }) as string),
          '--alg',
          'RS256',
        ],
        '',
        /2048/,
      ],
      [
        [
          'jwks',
          file('ec.pem', ec.publicKey.export({ type: 'spki', format: 'pem' }) as string),
          '--alg',
          'ES384',
        ],
        '',
        /ES384/,
      ],
      [['jwks'], '{"keys": 3}', /a JWK needs a "kty" member/],
      [['jwks'], '', /empty/],
      [['jwks', '--ring', 'x'], '', /--ring and --prefix go with --redis/],
    ]
    for (const [args, input, message] of cases) {
      const result = await runCLI(args, { input })
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, message)
      assert.equal(hasStack(result.stderr), false)
    }
  })

  void describe('--redis: a key ring', () => {
    let store: RedisStore
    let url: string
    const prefix = `authx-cli-${randomUUID()}:`
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

    void test("prints the ring's public keys as the instances publish them, without the encryption key", async () => {
      const auth = new AuthX({
        keyRing: { algorithm: 'ES256', encryptionKey: ENCRYPTION_KEY, name: 'jwks' },
        store,
      })
      await auth.ready()
      const before = await store.getKeyRing('jwks')
      const result = await runCLI(['jwks', '--redis', url, '--prefix', prefix, '--ring', 'jwks'])
      assert.equal(result.status, 0, result.stderr)
      const set = JSON.parse(result.stdout) as PublishedJWKSet
      const byKid = (s: PublishedJWKSet) => [...s.keys].sort((a, b) => a.kid.localeCompare(b.kid))
      assert.deepEqual(byKid(set), byKid(auth.jwks()))
      // The current key first: the one the instance signs with.
      const current = auth.keyRingStatus()?.find((k) => k.state === 'current')
      assert.equal(set.keys[0]?.kid, current?.kid)
      assertPublicOnly(set)
      // Read only: the stored document did not change.
      assert.deepEqual(await store.getKeyRing('jwks'), before)
    })

    void test('no ring under that name: exit code 1', async () => {
      const result = await runCLI(['jwks', '--redis', url, '--prefix', prefix, '--ring', 'absent'])
      assert.equal(result.status, 1)
      assert.match(
        result.stderr,
        /^authx-ts jwks: no key ring "absent" at redis:\/\/127\.0\.0\.1:\d+\/?, prefix/,
      )
    })

    void test('an unreachable Redis: exit code 1, one line', async () => {
      const result = await runCLI(['jwks', '--redis', 'redis://127.0.0.1:1'])
      assert.equal(result.status, 1)
      assert.match(result.stderr, /cannot connect to Redis/)
      assert.equal(hasStack(result.stderr), false)
    })
  })
})
