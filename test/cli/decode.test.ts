/**
 * `authx-ts decode`: header and claims of a token, marked UNVERIFIED on every output, with its
 * times as ISO dates; bad input is one line on standard error and exit code 2, never a stack.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/index.ts'
import { hasStack, runCLI } from './run-cli.ts'

const SECRET = 'a decode test secret of at least 32 bytes'
const NOW = 1_700_000_000

void describe('authx-ts decode', () => {
  const auth = new AuthX({ secretKey: SECRET, clock: () => NOW, keyId: 'k1' })
  const token = auth.createAccessToken('alice', { data: { role: 'admin' }, audience: 'api' })

  void test('prints the header, the claims and the times as dates, marked UNVERIFIED', async () => {
    const result = await runCLI(['decode', token])
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stderr, '')
    assert.match(result.stdout, /^UNVERIFIED: the signature was not checked/)
    assert.match(result.stdout, /"alg": "HS256"/)
    assert.match(result.stdout, /"kid": "k1"/)
    assert.match(result.stdout, /"sub": "alice"/)
    assert.match(result.stdout, /"role": "admin"/)
    assert.match(result.stdout, new RegExp(`iat  ${NOW}  2023-11-14T22:13:20\\.000Z`))
    assert.match(
      result.stdout,
      new RegExp(`exp  ${NOW + 900}  2023-11-14T22:28:20\\.000Z  \\(expired .+ ago\\)`),
    )
  })

  void test('--json: { verified: false, header, claims, dates }', async () => {
    const result = await runCLI(['decode', '--json', token])
    assert.equal(result.status, 0, result.stderr)
    const out = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>
    assert.equal(out.verified, false)
    assert.deepEqual(out.header, { alg: 'HS256', typ: 'JWT', kid: 'k1' })
    const { sub, role, aud, iat, exp, type } = out.claims as Record<string, unknown>
    assert.deepEqual(
      { sub, role, aud, iat, exp, type },
      {
        sub: 'alice',
        role: 'admin',
        aud: 'api',
        iat: NOW,
        exp: NOW + 900,
        type: 'access',
      },
    )
    assert.deepEqual(out.dates, {
      iat: '2023-11-14T22:13:20.000Z',
      nbf: '2023-11-14T22:13:20.000Z',
      exp: '2023-11-14T22:28:20.000Z',
    })
  })

  void test('reads the token from standard input, with or without "Bearer "', async () => {
    for (const input of [`${token}\n`, `Bearer ${token}`]) {
      for (const args of [['decode'], ['decode', '-']]) {
        const result = await runCLI([...args, '--json'], { input })
        assert.equal(result.status, 0, result.stderr)
        assert.equal((JSON.parse(result.stdout) as { claims: { sub: string } }).claims.sub, 'alice')
      }
    }
  })

  void test('decodes what it cannot verify: a bad signature, a foreign algorithm', async () => {
    const [header, payload] = token.split('.') as [string, string]
    const result = await runCLI(['decode', `${header}.${payload}.AAAA`])
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /^UNVERIFIED/)
  })

  void test('odd time claims are shown as they are, without a date', async () => {
    const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const odd = `${segment({ alg: 'HS256' })}.${segment({ exp: 'soon', iat: 1e300 })}.x`
    const result = await runCLI(['decode', odd])
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /exp {2}"soon" {2}\(not a number of seconds\)/)
    assert.match(result.stdout, /iat {2}1e\+300 {2}\(out of range\)/)
  })

  void test('bad input: one line, exit code 2, no stack', async () => {
    const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const cases: [string[], string, RegExp][] = [
      [['decode', 'garbage'], '', /expected three segments separated by dots, got 1/],
      [['decode', 'a.b'], '', /got 2/],
      [['decode', 'a.b.c.d.e'], '', /an encrypted token \(JWE/],
      [['decode', '!!.e30.x'], '', /the header is not base64url/],
      [['decode', `${segment('text')}.e30.x`], '', /the header is not a JSON object/],
      [
        ['decode', `e30.${Buffer.from('{nope').toString('base64url')}.x`],
        '',
        /the payload is not JSON/,
      ],
      [['decode'], '', /no token: pass it as an argument or on standard input/],
      [['decode', 'a', 'b'], '', /expected one token/],
      [['decode', '--jsn', token], '', /Unknown option '--jsn'/],
    ]
    for (const [args, input, message] of cases) {
      const result = await runCLI(args, { input })
      assert.equal(result.status, 2, args.join(' '))
      assert.equal(result.stdout, '')
      assert.match(result.stderr, /^authx-ts decode: /)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
      assert.equal(hasStack(result.stderr), false)
    }
  })
})
