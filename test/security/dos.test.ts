/**
 * Denial of service: oversized tokens and headers, deep nesting inside a correctly signed token,
 * many distinct headers, and store amplification: no store lookup and no blocklist call happens
 * before the signature and the claims pass (RFC 8725 section 3.1 and 4, OWASP JWT cheat sheet).
 */
import assert from 'node:assert/strict'
import type { InjectOptions } from 'fastify'
import { after, before, describe, test } from 'node:test'
import { flipBit, forgeToken, signatureOf, withSignature } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const

void describe('security: denial of service', () => {
  let target: SecurityApp
  let blocklistCalls = 0
  before(async () => {
    target = await buildSecurityApp({
      explicitStore: true,
      auth: { tokenLocation: ['headers', 'cookies', 'query', 'json'] },
      setup: (auth) =>
        auth.setTokenBlocklist(() => {
          blocklistCalls++
          return false
        }),
    })
  })
  after(() => target.close())

  void test('a token one character over maxTokenLength is refused before parsing (RFC 8725 §4 resource limits)', async () => {
    const limit = target.auth.config.maxTokenLength
    const token = forgeClaims({ pad: 'x'.repeat(limit) })
    assert.ok(token.length > limit)
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('a 1 MiB Authorization header is refused (OWASP: oversized input)', async () => {
    await expectRejected(target, bearer('A'.repeat(1 << 20)), DECODE)
  })

  void test('a 4000-segment token is refused (jwt_tool playbook: segment fuzzing)', async () => {
    await expectRejected(target, bearer('a.'.repeat(4000) + 'a'), DECODE)
  })

  void test('deep nesting (200 000 levels) inside a correctly signed token neither crashes nor hangs (CWE-674)', async () => {
    const deep = await buildSecurityApp({ auth: { maxTokenLength: 2_000_000 } })
    try {
      const depth = 200_000
      const claims = JSON.stringify(baseClaims()).replace(
        /}$/,
        `,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      )
      const token = forgeToken({ header: { alg: 'HS256' }, payload: claims, key: SECRET })
      await expectAccepted(deep, bearer(token))
      const objects = JSON.stringify(baseClaims()).replace(
        /}$/,
        `,"y":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      )
      await expectAccepted(
        deep,
        bearer(forgeToken({ header: { alg: 'HS256' }, payload: objects, key: SECRET })),
      )
    } finally {
      await deep.close()
    }
  })

  void test('a 2 MiB JSON body is refused by the body limit and the handler never runs (CWE-400)', async () => {
    const body = JSON.stringify({ access_token: target.validToken(), pad: 'x'.repeat(2 << 20) })
    await expectRejected(
      target,
      {
        method: 'POST',
        url: '/protected',
        headers: { 'content-type': 'application/json' },
        payload: body,
      },
      { status: 413, errorType: null },
    )
  })

  void test('500 cookies in one header are handled (CWE-400)', async () => {
    const cookie = Array.from({ length: 500 }, (_, i) => `c${i}=${'v'.repeat(20)}`).join('; ')
    await expectRejected(
      target,
      { method: 'GET', url: '/protected', headers: { cookie } },
      { status: 401, errorType: 'MissingTokenError' },
    )
  })

  void test('1000 distinct headers with bad signatures do not grow memory without bound or break valid tokens (header cache bound)', async () => {
    for (let i = 0; i < 1000; i++) {
      const token = forgeToken({
        header: { alg: 'HS256', kid: `k${i}` },
        payload: baseClaims(),
        key: 'wrong-key-wrong-key-wrong-key-00',
      })
      const result = await target.inject(bearer(token))
      assert.equal(result.status, 401)
    }
    await expectAccepted(target, bearer(target.validToken()))
  })

  void test('invalid tokens never reach the store or the blocklist: no amplification (DESIGN §6, AuthX defect fixed)', async () => {
    const lookups = target.store.count('isRevoked')
    const calls = blocklistCalls
    const valid = target.validToken()
    const attacks: InjectOptions[] = [
      bearer(withSignature(valid, flipBit(signatureOf(valid), 9))),
      bearer(forgeToken({ header: { alg: 'none' }, payload: baseClaims() })),
      bearer('not.a.token'),
      bearer(forgeClaims({ exp: NOW - 1 })),
      bearer(forgeClaims({ nbf: NOW + 60 })),
      bearer(forgeClaims({ aud: 'elsewhere' })),
      bearer(forgeClaims({ sub: 1 })),
      bearer(forgeClaims({ type: 'refresh' })),
      bearer(
        forgeToken({ header: { alg: 'HS256', crit: ['x'] }, payload: baseClaims(), key: SECRET }),
      ),
      {
        method: 'GET',
        url: `/protected?token=${withSignature(valid, flipBit(signatureOf(valid), 1))}`,
      },
      {
        method: 'GET',
        url: '/protected',
        headers: { cookie: `access_token_cookie=${valid.slice(0, -2)}` },
      },
      { method: 'POST', url: '/protected', payload: { access_token: `${valid}x` } },
    ]
    for (const attack of attacks) {
      const result = await target.inject(attack)
      assert.equal(result.status, 401, result.text)
    }
    assert.equal(target.store.count('isRevoked'), lookups, 'an invalid token reached the store')
    assert.equal(blocklistCalls, calls, 'an invalid token reached the blocklist')
    await expectAccepted(target, bearer(valid))
    assert.equal(target.store.count('isRevoked'), lookups + 1)
    assert.equal(blocklistCalls, calls + 1)
  })

  void test('an oversized RSA signature is refused on an RS256 app (CWE-400: no work on garbage)', async () => {
    const { rsa } = await import('./fixtures.ts')
    const rs = await buildSecurityApp({
      auth: { algorithm: 'RS256', privateKey: rsa().privateKey },
    })
    try {
      await expectRejected(rs, bearer(withSignature(rs.validToken(), Buffer.alloc(5000, 1))), {
        status: 401,
        errorType: 'TokenInvalidSignatureError',
      })
    } finally {
      await rs.close()
    }
  })

  void test('a streamed 2 MiB JSON body without Content-Length is not buffered for a token (CWE-400, Fetch integration)', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024))
    let sent = 0
    const head = new TextEncoder().encode(`{"access_token":"${target.validToken()}",`)
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(head)
        if (sent >= 2 << 20) controller.close()
        else controller.enqueue(chunk)
        sent += chunk.byteLength
      },
    })
    const request = new Request('http://localhost/protected', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    await assert.rejects(target.auth.authenticate(request), { name: 'MissingTokenError' })
    assert.ok(sent <= (1 << 20) + 3 * chunk.byteLength, `read ${sent} bytes of the stream`)
  })
})
