/**
 * `authx-ts verify`: the claims of a token that verifies with a secret, a key file or a JWK Set
 * URL (exit code 0), and for each way a token fails, its error type and message (exit code 1);
 * misuse is exit code 2. The keys come from real files and a real HTTP server.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { AuthX } from '../../src/index.ts'
import { signedToken, startJWKSServer } from '../helpers/jwks-server.ts'
import type { JWKSServer } from '../helpers/jwks-server.ts'
import { hasStack, runCLI } from './run-cli.ts'

const SECRET = 'a verify test secret of at least 32 bytes'
const PAST = Math.floor(Date.now() / 1000) - 7200

/** Asserts a failure: exit code 1, `Type: message` alone on standard error, nothing on stdout. */
function assertFails(
  result: { status: number | null; stdout: string; stderr: string },
  type: string,
  message: string,
): void {
  assert.equal(result.stdout, '')
  assert.equal(result.stderr, `${type}: ${message}\n`)
  assert.equal(result.status, 1)
}

void describe('authx-ts verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authx-verify-'))
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const hmac = new AuthX({ secretKey: SECRET, encodeIssuer: 'https://auth.example' })
  const signer = new AuthX({ algorithm: 'ES256', privateKey: pair.privateKey, keyId: 'ec-1' })
  const file = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  let server: JWKSServer
  before(async () => {
    server = await startJWKSServer()
    server.serveJSON('/jwks.json', signer.jwks())
  })
  after(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  void test('a secret: prints VERIFIED and the claims, exit code 0', async () => {
    const token = hmac.createAccessToken('alice', { data: { role: 'admin' } })
    const result = await runCLI(['verify', token, '--secret', SECRET])
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stderr, '')
    assert.match(result.stdout, /^VERIFIED \(HS256\)/)
    assert.match(result.stdout, /"sub": "alice"/)
    assert.match(result.stdout, /"role": "admin"/)
    assert.match(result.stdout, /exp {2}\d+ {2}\d{4}-\d\d-\d\dT/)
  })

  void test('--secret-file, the token on standard input, --json', async () => {
    const token = hmac.createRefreshToken('bob')
    const secretFile = file('secret', `${SECRET}\n`)
    const result = await runCLI(
      ['verify', '--secret-file', secretFile, '--json', '--type', 'refresh'],
      {
        input: `Bearer ${token}\n`,
      },
    )
    assert.equal(result.status, 0, result.stderr)
    const out = JSON.parse(result.stdout) as {
      valid: boolean
      claims: Record<string, unknown>
      dates: object
    }
    assert.equal(out.valid, true)
    assert.equal(out.claims.sub, 'bob')
    assert.equal(out.claims.type, 'refresh')
    assert.deepEqual(Object.keys(out.dates).sort(), ['exp', 'iat', 'nbf'])
  })

  void test('a key file: public PEM, private PEM, JWK, JWK Set, keygen output', async () => {
    const token = signer.createAccessToken('carol')
    const publicJwk = signer.jwks().keys[0]
    const files = [
      file('public.pem', pair.publicKey.export({ type: 'spki', format: 'pem' }) as string),
      file('private.pem', pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
      file('public.jwk.json', JSON.stringify(publicJwk)),
      file('set.json', JSON.stringify(signer.jwks())),
      file(
        'private.jwk.json',
        JSON.stringify({ ...pair.privateKey.export({ format: 'jwk' }), kid: 'ec-1' }),
      ),
    ]
    for (const keyFile of files) {
      const result = await runCLI(['verify', token, '--key', keyFile])
      assert.equal(result.status, 0, `${keyFile}: ${result.stderr}`)
      assert.match(result.stdout, /^VERIFIED \(ES256, kid ec-1\)/)
    }
  })

  void test('an RSA key takes the RSA algorithm the token names, never another family', async () => {
    const rs = new AuthX({ algorithm: 'PS384', privateKey: rsa.privateKey })
    const keyFile = file('rsa.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string)
    const ok = await runCLI(['verify', rs.createAccessToken('dave'), '--key', keyFile])
    assert.equal(ok.status, 0, ok.stderr)
    assert.match(ok.stdout, /^VERIFIED \(PS384\)/)
    // --alg pins it: a PS384 token is then refused.
    const pinned = await runCLI([
      'verify',
      rs.createAccessToken('dave'),
      '--key',
      keyFile,
      '--alg',
      'RS256',
    ])
    assert.equal(pinned.status, 1)
    assert.match(pinned.stderr, /^(JWTDecodeError|TokenInvalidSignatureError): /)
    // An HS256 token signed with the public key's bytes as its secret (algorithm confusion).
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const now = Math.floor(Date.now() / 1000)
    const confused = signedToken(pem, 'HS256', undefined, {
      sub: 'mallory',
      type: 'access',
      iat: now,
      exp: now + 600,
    })
    const refused = await runCLI(['verify', confused, '--key', keyFile])
    assert.equal(refused.status, 2)
    assert.match(refused.stderr, /an RSA key can serve several algorithms; pass --alg/)
    const refusedPinned = await runCLI(['verify', confused, '--key', keyFile, '--alg', 'RS256'])
    assert.equal(refusedPinned.status, 1)
    assert.doesNotMatch(refusedPinned.stdout, /mallory/)
  })

  void test('--jwks: verifies with the set an HTTP server publishes', async () => {
    const token = signer.createAccessToken('erin')
    const result = await runCLI(['verify', token, '--jwks', server.url('/jwks.json')])
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /"sub": "erin"/)
    assert.ok(server.requests('/jwks.json') >= 1)
  })

  void test('each failure prints its error type and message, exit code 1', async () => {
    const past = new AuthX({ secretKey: SECRET, clock: () => PAST })
    const future = new AuthX({ secretKey: SECRET, clock: () => PAST + 4 * 7200 })
    const other = new AuthX({ secretKey: 'another secret of at least thirty-two bytes' })
    const access = hmac.createAccessToken('alice', { audience: 'api' })
    const cases: [string[], string, string][] = [
      [
        [past.createAccessToken('alice'), '--secret', SECRET],
        'TokenExpiredError',
        'Token has expired',
      ],
      [
        [other.createAccessToken('alice'), '--secret', SECRET],
        'TokenInvalidSignatureError',
        'Signature verification failed',
      ],
      [
        [access, '--secret', SECRET, '--aud', 'billing'],
        'TokenInvalidAudienceError',
        'Invalid audience',
      ],
      [
        [access, '--secret', SECRET, '--aud', 'api', '--iss', 'https://elsewhere'],
        'TokenInvalidIssuerError',
        'Invalid issuer',
      ],
      [['not.a.token', '--secret', SECRET], 'JWTDecodeError', 'Invalid Token'],
      [[future.createAccessToken('alice'), '--secret', SECRET], 'JWTDecodeError', 'Invalid Token'],
      [
        [hmac.createAccessToken('alice'), '--secret', SECRET, '--type', 'refresh'],
        'RefreshTokenRequiredError',
        'Refresh token required',
      ],
      [
        [signer.createAccessToken('alice'), '--jwks', `${server.origin}/missing.json`],
        'KeySetUnavailableError',
        'Key set unavailable',
      ],
    ]
    for (const [args, type, message] of cases) {
      assertFails(await runCLI(['verify', ...args]), type, message)
    }
  })

  void test('the leeway tolerates a token expired within it', async () => {
    const token = new AuthX({
      secretKey: SECRET,
      clock: () => PAST + 7200 - 960,
    }).createAccessToken('a')
    assertFails(
      await runCLI(['verify', token, '--secret', SECRET]),
      'TokenExpiredError',
      'Token has expired',
    )
    const result = await runCLI(['verify', token, '--secret', SECRET, '--leeway', '120'])
    assert.equal(result.status, 0, result.stderr)
  })

  void test('--json reports a failure as { valid: false, error_type, detail }', async () => {
    const token = new AuthX({ secretKey: SECRET, clock: () => PAST }).createAccessToken('alice')
    const result = await runCLI(['verify', token, '--secret', SECRET, '--json'])
    assert.equal(result.status, 1)
    assert.deepEqual(JSON.parse(result.stdout), {
      valid: false,
      error_type: 'TokenExpiredError',
      detail: 'Token has expired',
    })
  })

  void test('misuse is exit code 2, one line, no stack', async () => {
    const token = hmac.createAccessToken('alice')
    const cases: [string[], RegExp][] = [
      [['verify', token], /no key: pass --secret, --secret-file, --key or --jwks/],
      [
        ['verify', token, '--secret', SECRET, '--key', 'x.pem'],
        /--secret and --key cannot be used together/,
      ],
      [['verify', token, '--secret', 'short'], /at least 32 bytes/],
      [
        ['verify', token, '--key', join(dir, 'nothing.pem')],
        /cannot read .*nothing\.pem: no such file/,
      ],
      [
        ['verify', token, '--key', file('junk.pem', 'not a key')],
        /no PEM block, JWK or JWK Set found/,
      ],
      [['verify', token, '--secret', SECRET, '--alg', 'none'], /--alg none: expected one of/],
      [
        ['verify', token, '--secret', SECRET, '--type', 'id'],
        /--type id: expected access or refresh/,
      ],
      [['verify', token, '--jwks', 'http://example.com/jwks.json'], /jwksUri/],
      [['verify', '--key', '-'], /the key and the token cannot both come from standard input/],
    ]
    for (const [args, message] of cases) {
      const result = await runCLI(args)
      assert.equal(result.status, 2, `${args.slice(2).join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, /^authx-ts verify: /)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
      assert.equal(hasStack(result.stderr), false)
    }
  })
})
