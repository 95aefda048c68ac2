/**
 * `AuthManager` refuses option keys it does not have, naming the nearest valid one, as the
 * `AuthX` instances do: in the constructor, and when a guard is made.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AuthManager } from '../../src/index.ts'
import { AuthX } from '../../src/adapters/fastify.ts'

const secretKey = 'manager-options-secret-of-32-bytes!'

void describe('AuthManager option keys', () => {
  const admin = new AuthX({ secretKey, loginType: 'admin' })
  const manager = new AuthManager({ instances: [admin] })

  void test('the constructor', () => {
    assert.throws(() => new AuthManager({ rules: [] } as never), {
      name: 'TypeError',
      message: "AuthManager: unknown option 'rules'; did you mean 'policyRules'?",
    })
  })

  void test('tokenRequired and policyRequired, when the guard is made', () => {
    assert.throws(() => manager.tokenRequired('admin', { verifyfresh: true } as never), {
      name: 'TypeError',
      message: "tokenRequired: unknown option 'verifyfresh'; did you mean 'verifyFresh'?",
    })
    assert.throws(() => manager.policyRequired('admin', 'read', 'doc', { resource: {} } as never), {
      message: "policyRequired: unknown option 'resource'; did you mean 'resourceAttrs'?",
    })
    assert.throws(
      () => manager.policyRequired('admin', 'read', 'doc', { token: { scope: ['a'] } } as never),
      { message: "policyRequired token: unknown option 'scope'; did you mean 'scopes'?" },
    )
  })

  void test('authorize rejects before reading anything', async () => {
    await assert.rejects(manager.authorize('admin', 'read', 'doc', { environment: {} } as never), {
      name: 'TypeError',
      message: /authorize: unknown option 'environment'/,
    })
  })
})
