/**
 * `authx-ts keygen`: for every algorithm, the keys it prints (PEM and JWK) are accepted by
 * `new AuthX` and sign tokens that verify; the default kid is the RFC 7638 thumbprint (checked
 * against jose's); secrets have the hash output's length; files are written apart, the private
 * one for its owner only, and never over an existing file.
 */
import assert from 'node:assert/strict'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { calculateJwkThumbprint } from 'jose'
import { AuthX, ALGORITHMS } from '../../src/index.ts'
import type { Algorithm, AuthXOptions, JWKInput } from '../../src/index.ts'
import { hasStack, runCLI } from './run-cli.ts'

const ASYMMETRIC = ALGORITHMS.filter((alg) => !alg.startsWith('HS'))
const HMAC = ALGORITHMS.filter((alg) => alg.startsWith('HS'))
const HASH_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 }

/** Signs with `signer` and verifies with `verifier`, which must agree on the kid. */
async function roundTrip(signer: AuthXOptions, verifier: AuthXOptions): Promise<void> {
  const token = new AuthX(signer).createAccessToken('alice')
  const payload = await new AuthX(verifier).verifyToken(token)
  assert.equal(payload.sub, 'alice')
}

/** The PEM blocks of a text, by label. */
function pemBlocks(text: string): Record<string, string> {
  const blocks: Record<string, string> = {}
  for (const [block, label] of text.matchAll(
    /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g,
  )) {
    blocks[label as string] = block
  }
  return blocks
}

void describe('authx-ts keygen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authx-keygen-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  for (const alg of ASYMMETRIC) {
    void test(`${alg}: the PEM pair signs and verifies, under the thumbprint kid`, async () => {
      const result = await runCLI(['keygen', '--alg', alg])
      assert.equal(result.status, 0, result.stderr)
      const kid = /^kid: (\S+)$/m.exec(result.stdout)?.[1]
      assert.match(result.stdout, new RegExp(`^alg: ${alg}$`, 'm'))
      const blocks = pemBlocks(result.stdout)
      assert.deepEqual(Object.keys(blocks).sort(), ['PRIVATE KEY', 'PUBLIC KEY'])
      const privateKey = blocks['PRIVATE KEY'] as string
      const publicKey = blocks['PUBLIC KEY'] as string
      // The two blocks are one pair, and the kid is the public key's RFC 7638 thumbprint.
      assert.deepEqual(
        createPublicKey(privateKey).export({ format: 'jwk' }),
        createPublicKey(publicKey).export({ format: 'jwk' }),
      )
      const jwk = createPublicKey(publicKey).export({ format: 'jwk' }) as JWKInput
      assert.equal(
        kid,
        await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0]),
      )
      await roundTrip(
        { algorithm: alg, privateKey, keyId: kid },
        { algorithm: alg, publicKey, keyId: kid },
      )
      if (alg.startsWith('RS') || alg.startsWith('PS')) {
        assert.equal(createPublicKey(publicKey).asymmetricKeyDetails?.modulusLength, 2048)
      }
    })

    void test(`${alg}: the JWK pair signs and verifies, the public JWK has no private member`, async () => {
      const result = await runCLI(['keygen', '--alg', alg, '--format', 'jwk', '--kid', `k-${alg}`])
      assert.equal(result.status, 0, result.stderr)
      const out = JSON.parse(result.stdout) as {
        kid: string
        alg: Algorithm
        privateKey: JWKInput
        publicKey: JWKInput
      }
      assert.equal(out.kid, `k-${alg}`)
      assert.equal(out.alg, alg)
      for (const jwk of [out.privateKey, out.publicKey]) {
        assert.equal(jwk.kid, `k-${alg}`)
        assert.equal(jwk.alg, alg)
        assert.equal(jwk.use, 'sig')
      }
      assert.ok(typeof out.privateKey.d === 'string')
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        assert.equal(out.publicKey[member], undefined, member)
      }
      // As a JWK Set (keys), and as single keys.
      await roundTrip({ keys: { keys: [out.privateKey] } }, { keys: { keys: [out.publicKey] } })
      await roundTrip(
        { algorithm: alg, privateKey: out.privateKey, keyId: out.kid },
        { algorithm: alg, publicKey: out.publicKey, keyId: out.kid },
      )
    })
  }

  for (const alg of HMAC) {
    void test(`${alg}: a secret as long as the hash output, as text and as an oct JWK`, async () => {
      const text = await runCLI(['keygen', '--secret', '--alg', alg])
      assert.equal(text.status, 0, text.stderr)
      const secret = text.stdout.trim()
      assert.match(secret, /^[A-Za-z0-9_-]+$/)
      assert.equal(Buffer.from(secret, 'base64url').length, HASH_BYTES[alg])
      await roundTrip({ algorithm: alg, secretKey: secret }, { algorithm: alg, secretKey: secret })

      const jwk = await runCLI(['keygen', '--secret', '--alg', alg, '--format', 'jwk'])
      assert.equal(jwk.status, 0, jwk.stderr)
      const key = JSON.parse(jwk.stdout) as JWKInput & { k: string; kid: string }
      assert.equal(key.kty, 'oct')
      assert.equal(Buffer.from(key.k, 'base64url').length, HASH_BYTES[alg])
      assert.equal(key.kid, await calculateJwkThumbprint({ kty: 'oct', k: key.k }))
      await roundTrip({ keys: { keys: [key] } }, { keys: { keys: [key] } })
    })
  }

  void test('--secret alone is an HS256 secret, fit for JWT_KEY_ENCRYPTION_KEY', async () => {
    const result = await runCLI(['keygen', '--secret'])
    assert.equal(result.status, 0, result.stderr)
    assert.equal(Buffer.from(result.stdout.trim(), 'base64url').length, 32)
    // keyRing's encryptionKey wants 32 characters or more.
    assert.ok(result.stdout.trim().length >= 32)
  })

  void test('without --alg: an EdDSA pair', async () => {
    const result = await runCLI(['keygen'])
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /^alg: EdDSA$/m)
    assert.equal(
      createPrivateKey(pemBlocks(result.stdout)['PRIVATE KEY'] as string).asymmetricKeyType,
      'ed25519',
    )
  })

  void test('--bits sizes an RSA key; under 2048 bits, or on another family, it is refused', async () => {
    const big = await runCLI(['keygen', '--alg', 'PS384', '--bits', '3072'])
    assert.equal(big.status, 0, big.stderr)
    const key = createPublicKey(pemBlocks(big.stdout)['PUBLIC KEY'] as string)
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 3072)
    for (const args of [
      ['--alg', 'RS256', '--bits', '1024'],
      ['--alg', 'RS256', '--bits', 'many'],
      ['--alg', 'ES256', '--bits', '4096'],
    ]) {
      const refused = await runCLI(['keygen', ...args])
      assert.equal(refused.status, 2, args.join(' '))
      assert.equal(refused.stdout, '')
      assert.match(refused.stderr, /^authx-ts keygen: --bits/)
      assert.equal(hasStack(refused.stderr), false)
    }
  })

  void test('misuse is exit code 2 with one line: unknown algorithm or format, --secret with a pair', async () => {
    for (const [args, message] of [
      [['--alg', 'none'], /--alg none: expected one of HS256/],
      [['--alg', 'ES256', '--format', 'der'], /--format der: expected pem or jwk/],
      [['--secret', '--alg', 'ES256'], /--secret makes HMAC secrets/],
      [['--secret', '--kid', 'x'], /--kid needs --format jwk/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
    ] as const) {
      const result = await runCLI(['keygen', ...args])
      assert.equal(result.status, 2, args.join(' '))
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
    }
  })

  void test('--out writes the private and public files apart, the private one mode 600', async () => {
    const base = join(dir, 'signing')
    const result = await runCLI(['keygen', '--alg', 'ES256', '--out', base])
    assert.equal(result.status, 0, result.stderr)
    const kid = /^kid: (\S+)$/m.exec(result.stdout)?.[1]
    assert.ok(kid !== undefined)
    assert.match(result.stdout, new RegExp(`private key: ${base}\\.private\\.pem`))
    const privateKey = readFileSync(`${base}.private.pem`, 'utf8')
    const publicKey = readFileSync(`${base}.public.pem`, 'utf8')
    assert.equal(statSync(`${base}.private.pem`).mode & 0o777, 0o600)
    assert.doesNotMatch(publicKey, /PRIVATE/)
    // The files carry the kid and alg ahead of the block, and load as they are.
    assert.match(privateKey, new RegExp(`^kid: ${kid}\\nalg: ES256\\n`))
    await roundTrip(
      { algorithm: 'ES256', privateKey, keyId: kid },
      { algorithm: 'ES256', publicKey, keyId: kid },
    )
  })

  void test('--out never overwrites a file', async () => {
    const base = join(dir, 'taken')
    writeFileSync(`${base}.private.jwk.json`, 'mine')
    const result = await runCLI(['keygen', '--format', 'jwk', '--out', base])
    assert.equal(result.status, 2)
    assert.match(result.stderr, /taken\.private\.jwk\.json exists/)
    assert.equal(readFileSync(`${base}.private.jwk.json`, 'utf8'), 'mine')
  })

  void test('--out with a secret writes one file for its owner only', async () => {
    const base = join(dir, 'hmac')
    const result = await runCLI(['keygen', '--secret', '--alg', 'HS384', '--out', base])
    assert.equal(result.status, 0, result.stderr)
    assert.equal(statSync(`${base}.secret`).mode & 0o777, 0o600)
    assert.equal(Buffer.from(readFileSync(`${base}.secret`, 'utf8').trim(), 'base64url').length, 48)
    assert.doesNotMatch(result.stdout, new RegExp(readFileSync(`${base}.secret`, 'utf8').trim()))
  })
})
