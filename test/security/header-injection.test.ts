/**
 * Header injection: key material and key locations in the header are never honoured, `kid` never
 * reaches a file, query or object lookup, and processing-changing members (`crit`, `b64`, `zip`)
 * are refused (RFC 7515 section 4.1, RFC 8725 section 3.10, PortSwigger JWT labs).
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { forgeToken } from '../helpers/forge.ts'
import {
  SECRET,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'
import { rsa } from './fixtures.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const

void describe('security: header injection', () => {
  let target: SecurityApp
  let kidApp: SecurityApp
  let server: Server
  let hits = 0
  let base = ''
  const attacker = rsa('attacker')
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' })

  before(async () => {
    target = await buildSecurityApp({ auth: { algorithm: 'RS256', privateKey: rsa().privateKey } })
    kidApp = await buildSecurityApp({ auth: { secretKey: SECRET, keyId: 'current' } })
    // A JWKS/x5u endpoint an attacker controls: any request to it is a failure of invariant 5.
    server = createServer((_req, res) => {
      hits++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: [{ ...attackerJwk, kid: 'evil' }] }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    await Promise.all([target.close(), kidApp.close()])
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const signedByAttacker = (header: Record<string, unknown>): string =>
    forgeToken({
      header: { alg: 'RS256', ...header },
      payload: baseClaims({ sub: 'admin' }),
      key: attacker.privateKey,
    })

  void test('an embedded "jwk" of the attacker key is not used (CVE-2018-0114, PortSwigger "JWT authentication bypass via jwk header injection")', async () => {
    await expectRejected(target, bearer(signedByAttacker({ jwk: attackerJwk })), SIGNATURE)
  })

  void test('"jku" is never fetched (PortSwigger "JWT authentication bypass via jku header injection")', async () => {
    await expectRejected(
      target,
      bearer(signedByAttacker({ jku: `${base}/jwks.json`, kid: 'evil' })),
      SIGNATURE,
    )
    assert.equal(hits, 0, 'the jku URL was fetched')
  })

  void test('"x5u" is never fetched (RFC 8725 §3.10, jwt_tool playbook -X s)', async () => {
    await expectRejected(target, bearer(signedByAttacker({ x5u: `${base}/cert.pem` })), SIGNATURE)
    assert.equal(hits, 0, 'the x5u URL was fetched')
  })

  void test('an embedded "x5c" chain is not used (RFC 7515 §4.1.6, jwt_tool playbook)', async () => {
    const der = attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    await expectRejected(target, bearer(signedByAttacker({ x5c: [der] })), SIGNATURE)
  })

  void test('"kid" path traversal to /dev/null with an empty HMAC key fails (PortSwigger "JWT authentication bypass via kid header path traversal")', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: '../../../../../../dev/null' },
      payload: baseClaims({ sub: 'admin' }),
      key: Buffer.alloc(0),
    })
    await expectRejected(kidApp, bearer(token), SIGNATURE)
  })

  void test('"kid" SQL injection selecting a known key fails (jwt_tool playbook: kid injection)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: "x' UNION SELECT 'attacker-key' -- " },
      payload: baseClaims({ sub: 'admin' }),
      key: 'attacker-key',
    })
    await expectRejected(kidApp, bearer(token), SIGNATURE)
  })

  void test('"kid" naming a prototype member ("__proto__") selects no key (prototype lookup hazard)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: '__proto__' },
      payload: baseClaims(),
      key: SECRET,
    })
    await expectRejected(kidApp, bearer(token), SIGNATURE)
  })

  void test('"kid" naming "constructor" selects no key (prototype lookup hazard)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: 'constructor' },
      payload: baseClaims(),
      key: SECRET,
    })
    await expectRejected(kidApp, bearer(token), SIGNATURE)
  })

  void test('a numeric "kid" is refused (RFC 7515 §4.1.4: a string)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: 1 },
      payload: baseClaims(),
      key: SECRET,
    })
    await expectRejected(kidApp, bearer(token), DECODE)
  })

  void test('an object "kid" is refused (RFC 7515 §4.1.4, fast-jwt GHSA-rp9m-7r4c-75qg-style key confusion)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: { toString: 'current' } },
      payload: baseClaims(),
      key: SECRET,
    })
    await expectRejected(kidApp, bearer(token), DECODE)
  })

  void test('the configured kid with the right key is accepted (control case)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: 'current' },
      payload: baseClaims(),
      key: SECRET,
    })
    await expectAccepted(kidApp, bearer(token))
  })

  void test('"crit" naming an unknown extension is refused (RFC 7515 §4.1.11, fast-jwt GHSA-hm7r-c7qw-ghp6)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', crit: ['x-policy'], 'x-policy': 'mfa' },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('an empty "crit" list is refused (RFC 7515 §4.1.11: must not be empty)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', crit: [] },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('"crit" naming "exp" is refused (RFC 7515 §4.1.11: registered names forbidden)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', crit: ['exp'], exp: 1 },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('"b64": false (unencoded payload) is refused (RFC 7797 §3)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', b64: false, crit: ['b64'] },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('"b64": false without crit is refused, not silently ignored (RFC 7797 §6)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', b64: false },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('"zip": "DEF" is refused (RFC 7516 §4.1.3, RFC 8725 §3.6: no compression of signed data)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', zip: 'DEF' },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('an "enc" member (JWE header in a JWS) is refused (RFC 8725 §3.11)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256', enc: 'A256GCM' },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('an oversized "kid" (4000 chars) is refused without a lookup (jwt_tool playbook: kid fuzzing)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256', kid: 'k'.repeat(4000) },
      payload: baseClaims(),
      key: SECRET,
    })
    await expectRejected(kidApp, bearer(token), SIGNATURE)
  })
})
