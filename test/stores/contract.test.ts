/**
 * The shared argument checks of the stores: what both `MemoryStore` and `RedisStore` refuse, and
 * how the refusal reads. The store contract runs them through each store; these tests pin the
 * checks themselves, including the values no well-typed caller can pass.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  assertKind,
  assertSession,
  assertTime,
  assertWindow,
  checkArguments,
  oldestFirst,
} from '../../src/stores/contract.ts'
import type { SessionRecord } from '../../src/stores/types.ts'

function record(id: string, createdAt: number): SessionRecord {
  return { id, sub: 'u', createdAt, lastActive: createdAt, expiresAt: createdAt + 60 }
}

/** Asserts a TypeError whose message contains every one of `parts`. */
function throwsNaming(run: () => void, ...parts: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.equal((error as Error).constructor, TypeError)
    for (const part of parts) assert.ok((error as Error).message.includes(part), part)
    return true
  })
}

void describe('store argument checks', () => {
  void test('the message names the store, the method and the argument', () => {
    throwsNaming(
      () => checkArguments.revoke('SomeStore', 'jti', 'id', Number.NaN),
      'SomeStore.revoke',
      'expiresAt',
    )
    throwsNaming(
      () => checkArguments.revokeSubject('SomeStore', 'sub', Infinity, 0),
      'SomeStore.revokeSubject',
      'at',
    )
    throwsNaming(
      () => checkArguments.useRefreshToken('SomeStore', 'f', 'j', Number.NaN),
      'SomeStore.useRefreshToken',
      'familyExpiresAt',
    )
    throwsNaming(() => checkArguments.hit('SomeStore', 'k', 0, 0), 'SomeStore.hit', 'windowSeconds')
    throwsNaming(() => checkArguments.hit('SomeStore', 'k', 1, Number.NaN), 'SomeStore.hit', 'now')
    throwsNaming(
      () => checkArguments.saveSession('SomeStore', { ...record('s', 0), expiresAt: Number.NaN }),
      'SomeStore.saveSession',
      'session.expiresAt',
    )
    throwsNaming(
      () => checkArguments.isRevoked('SomeStore', { sub: 'a\ud800' }),
      'SomeStore.isRevoked',
      'query.sub',
    )
  })

  void test('well-formed arguments pass every check', () => {
    const store = 'SomeStore'
    checkArguments.revoke(store, 'fam', 'a:b', 1.5)
    checkArguments.revokeSubject(store, '', -1, 0)
    checkArguments.isRevoked(store, { sub: 's', jti: 'j', sid: 'i', fam: 'f', iat: 1 })
    checkArguments.useRefreshToken(store, 'f', 'j', 2)
    checkArguments.hit(store, 'k', 0.5, 1)
    checkArguments.resetHits(store, 'k')
    checkArguments.saveSession(store, record('s', 1))
    checkArguments.getSession(store, 'x\u{1f600}')
    checkArguments.listSessions(store, 's')
    checkArguments.deleteSession(store, 's')
    checkArguments.deleteSessions(store, 's')
  })

  void test('only jti, sid and fam are revocation kinds', () => {
    for (const kind of ['jti', 'sid', 'fam']) assertKind('S.revoke', kind)
    for (const kind of ['sub', 'JTI', '', undefined, 1, '__proto__', 'toString'])
      throwsNaming(() => assertKind('S.revoke', kind), 'S.revoke', 'kind')
  })

  void test('a time is a finite number, a window a positive finite number', () => {
    for (const value of [0, -1, 1.5, 1e12]) assertTime('S.m', 't', value)
    for (const value of [Number.NaN, Infinity, -Infinity, '1', null, undefined, 1n])
      throwsNaming(() => assertTime('S.m', 't', value), 'S.m', 't')
    for (const value of [0.001, 1, 86_400]) assertWindow('S.hit', value)
    for (const value of [0, -1, Number.NaN, Infinity, '5', null])
      throwsNaming(() => assertWindow('S.hit', value), 'windowSeconds')
  })

  void test('a session that is not an object is refused before any field is read', () => {
    for (const value of [null, undefined, 'sess', 42])
      throwsNaming(
        () => assertSession('S.saveSession', value as unknown as SessionRecord),
        'session',
      )
    throwsNaming(
      () => assertSession('S.saveSession', { ...record('s', 0), sub: 42 as unknown as string }),
      'session.sub',
    )
  })

  void test('sessions are listed oldest first', () => {
    const sessions = [record('c', 30), record('a', 10), record('b', 20)]
    assert.deepEqual(
      oldestFirst(sessions).map((s) => s.id),
      ['a', 'b', 'c'],
    )
  })
})
