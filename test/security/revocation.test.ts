/**
 * Revocation: by `jti`, after the signature check, in every location, with the embedded
 * MemoryStore (through `auth.revokeToken`), an explicit store and `setTokenBlocklist`; a store or
 * blocklist that cannot answer fails closed with 503, never open and never 500 (RFC 7009 intent,
 * OWASP JWT cheat sheet "token revocation", DESIGN §6).
 */
import assert from 'node:assert/strict'
import type { InjectOptions } from 'fastify'
import { after, before, describe, test } from 'node:test'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import { flipBit, forgeToken, signatureOf, withSignature } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'
import { TokenInvalidSignatureError } from '../../src/errors.ts'

const REVOKED = { status: 401, errorType: 'RevokedTokenError' } as const
const UNAVAILABLE = { status: 503, errorType: 'StoreUnavailableError' } as const

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >
}

function carry(location: string, token: string): InjectOptions {
  switch (location) {
    case 'headers':
      return bearer(token)
    case 'cookies':
      return {
        method: 'GET',
        url: '/protected',
        headers: { cookie: `access_token_cookie=${token}` },
      }
    case 'query':
      return { method: 'GET', url: `/protected?token=${token}` }
    default:
      return { method: 'POST', url: '/protected', payload: { access_token: token } }
  }
}

void describe('security: revocation with the embedded MemoryStore (auth.revokeToken)', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({
      auth: { tokenLocation: ['headers', 'cookies', 'query', 'json'] },
    })
  })
  after(() => target.close())

  for (const location of ['headers', 'cookies', 'query', 'json']) {
    void test(`a revoked token is refused in ${location} (OWASP JWT cheat sheet: token revocation)`, async () => {
      const token = target.validToken()
      await expectAccepted(target, carry(location, token))
      await target.auth.revokeToken(token)
      await expectRejected(target, carry(location, token), REVOKED)
    })
  }

  void test('revocation survives re-encoding: same jti, different header and signature (by jti, DESIGN §6)', async () => {
    const token = target.validToken()
    await target.auth.revokeToken(token)
    const reencoded = forgeToken({
      header: { typ: 'JWT', alg: 'HS256', kid: 'x' },
      payload: claimsOf(token),
      key: SECRET,
    })
    await expectRejected(target, bearer(reencoded), REVOKED)
  })

  void test('revoking a forged token throws and revokes nothing (AuthX defect fixed: revoke after the signature check)', async () => {
    const victim = target.validToken()
    const forged = withSignature(victim, flipBit(signatureOf(victim), 7))
    await assert.rejects(target.auth.revokeToken(forged), TokenInvalidSignatureError)
    await expectAccepted(target, bearer(victim))
  })

  void test('a revoked refresh token is refused on the refresh route (RFC 9700 §4.14)', async () => {
    const refresh = target.auth.createRefreshToken('alice')
    await target.auth.revokeToken(refresh)
    await expectRejected(target, bearer(refresh, '/refresh'), REVOKED)
  })

  void test('revokeAllForSubject refuses every earlier token of that subject only (OWASP: logout everywhere)', async () => {
    const mallory = target.validToken('mallory')
    const bob = target.validToken('bob')
    await target.auth.revokeAllForSubject('mallory')
    await expectRejected(target, bearer(mallory), REVOKED)
    await expectAccepted(target, bearer(bob))
  })
})

void describe('security: revocation with an explicit store', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({ explicitStore: true })
  })
  after(() => target.close())

  void test('a jti revoked in the shared store is refused (DESIGN §7: shared revocation)', async () => {
    const token = target.validToken()
    await target.store.revoke('jti', claimsOf(token).jti as string, NOW + 900)
    await expectRejected(target, bearer(token), REVOKED)
  })

  void test('a token without jti is still checked against subject revocation (jti optional, RFC 7519 §4.1.7)', async () => {
    await target.store.revokeSubject('nojti', NOW, NOW + 900)
    await expectRejected(target, bearer(forgeClaims({ sub: 'nojti' }, { omit: ['jti'] })), REVOKED)
  })
})

void describe('security: setTokenBlocklist', () => {
  void test('a synchronous blocklist returning true refuses the token (AuthX token_blocklist)', async () => {
    const target = await buildSecurityApp({
      setup: (auth) => auth.setTokenBlocklist((_t, p) => p.sub === 'mallory'),
    })
    try {
      await expectRejected(target, bearer(target.validToken('mallory')), REVOKED)
    } finally {
      await target.close()
    }
  })

  void test('an async blocklist resolving true refuses the token (AuthX token_blocklist, async)', async () => {
    const target = await buildSecurityApp({
      setup: (auth) => auth.setTokenBlocklist((_t, p) => Promise.resolve(p.sub === 'mallory')),
    })
    try {
      await expectRejected(target, bearer(target.validToken('mallory')), REVOKED)
    } finally {
      await target.close()
    }
  })

  void test('a blocklist that throws fails closed with 503, not open and not 500 (OWASP fail securely)', async () => {
    const target = await buildSecurityApp({
      setup: (auth) =>
        auth.setTokenBlocklist((_t, p) => {
          if (p.sub === 'mallory') throw new Error('db password=hunter2hunter2hunter2 refused')
          return false
        }),
      secrets: ['hunter2hunter2hunter2'],
    })
    try {
      await expectRejected(target, bearer(target.validToken('mallory')), UNAVAILABLE)
    } finally {
      await target.close()
    }
  })

  void test('a blocklist whose promise rejects fails closed with 503 (OWASP fail securely)', async () => {
    const target = await buildSecurityApp({
      setup: (auth) =>
        auth.setTokenBlocklist((_t, p) =>
          p.sub === 'mallory' ? Promise.reject(new Error('ECONNREFUSED 10.0.0.7:6379')) : false,
        ),
    })
    try {
      const result = await expectRejected(target, bearer(target.validToken('mallory')), UNAVAILABLE)
      assert.ok(!result.text.includes('ECONNREFUSED'))
    } finally {
      await target.close()
    }
  })

  void test('a store whose lookup rejects fails closed with 503 and hides the cause (DESIGN §6)', async () => {
    const inner = new MemoryStore({ clock: () => NOW })
    const down: Store = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'isRevoked')
          return () =>
            Promise.reject(
              new Error('connect ECONNREFUSED 127.0.0.1:6379 auth=s3cr3t-s3cr3t-s3cr3t'),
            )
        return Reflect.get(target, property, receiver) as unknown
      },
    })
    const target = await buildSecurityApp({
      auth: { store: down },
      secrets: ['s3cr3t-s3cr3t-s3cr3t'],
    })
    try {
      const result = await expectRejected(target, bearer(target.validToken()), {
        ...UNAVAILABLE,
        followUp: false,
      })
      assert.ok(!result.text.includes('ECONNREFUSED'))
    } finally {
      await target.close()
    }
  })
})
