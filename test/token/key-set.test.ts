/**
 * The key-source seam: a static set selects by algorithm and kid; the verifier asks the set for
 * candidates, keeps a selection per header only while the set's version holds, and waits for a
 * set that answers asynchronously.
 */
import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { TokenInvalidSignatureError } from '../../src/errors.ts'
import { JWSVerifier, encodeSegment, signCompact } from '../../src/token/jws.ts'
import { StaticKeySet } from '../../src/token/key-set.ts'
import { SyncJWSVerifier } from '../helpers/sync-verifier.ts'
import type { KeySet } from '../../src/token/key-set.ts'
import { bindKey } from '../../src/token/keys.ts'
import type { Algorithm, BoundKey } from '../../src/token/keys.ts'

const hmac = (kid?: string, alg: Algorithm = 'HS256'): BoundKey =>
  bindKey(createSecretKey(randomBytes(64)), alg, kid)

function sign(key: BoundKey, kid?: string): string {
  const header = encodeSegment({ alg: key.alg, ...(kid === undefined ? {} : { kid }) })
  return signCompact(key, header, { sub: 'alice' })
}

/** A set whose keys the test replaces, as a remote set does when it refetches. */
class MutableKeySet implements KeySet {
  version = 0
  selections = 0
  #keys: readonly BoundKey[]
  constructor(keys: readonly BoundKey[]) {
    this.#keys = keys
  }
  replace(keys: readonly BoundKey[]): void {
    this.#keys = keys
    this.version += 1
  }
  select(alg: Algorithm, kid: string | undefined): readonly BoundKey[] {
    this.selections += 1
    return new StaticKeySet(this.#keys).select(alg, kid)
  }
}

void describe('StaticKeySet', () => {
  void it('selects the keys bound to the header algorithm, current first', () => {
    const current = hmac()
    const previous = hmac()
    const other = hmac(undefined, 'HS512')
    const set = new StaticKeySet([current, previous, other])
    assert.deepEqual(set.select('HS256', undefined), [current, previous])
    assert.deepEqual(set.select('HS512', undefined), [other])
    assert.deepEqual(set.select('RS256', undefined), [])
  })

  void it('with kids configured, a kid goes straight to its key', () => {
    const a = hmac('a')
    const b = hmac('b')
    const set = new StaticKeySet([a, b])
    assert.deepEqual(set.select('HS256', 'b'), [b])
    assert.deepEqual(set.select('HS256', 'unknown'), [])
    assert.deepEqual(set.select('HS256', undefined), [a, b])
    // Without configured kids, a token's kid chooses nothing.
    const plain = hmac()
    assert.deepEqual(new StaticKeySet([plain]).select('HS256', 'b'), [plain])
  })
})

void describe('JWSVerifier over a KeySet', () => {
  void it('keeps a selection while the version holds and asks again when it changes', () => {
    const first = hmac('k1')
    const second = hmac('k2')
    const set = new MutableKeySet([first])
    const verifier = new SyncJWSVerifier(set, ['HS256'], 8192)
    const old = sign(first, 'k1')
    void verifier.verify(old)
    void verifier.verify(old)
    assert.equal(set.selections, 1, 'one selection per header while the set is unchanged')
    // The set rotates: k1 is gone, k2 arrives.
    set.replace([second])
    assert.throws(() => verifier.verify(old), TokenInvalidSignatureError)
    assert.equal(verifier.verify(sign(second, 'k2')).key, second)
    assert.equal(set.selections, 3)
  })

  void it('waits for a set that answers asynchronously, and only then', async () => {
    const key = hmac()
    const pending: KeySet = { version: 0, select: () => Promise.resolve([key]) }
    const verifier = new JWSVerifier(pending, ['HS256'], 8192)
    const result = verifier.verify(sign(key))
    assert.ok(result instanceof Promise)
    assert.equal((await result).key, key)
    const ready = new JWSVerifier([key], ['HS256'], 8192).verify(sign(key))
    assert.ok(!(ready instanceof Promise))
  })

  void it('does not keep an empty selection: a set that learns the key later is asked again', () => {
    const key = hmac()
    let known: BoundKey[] = []
    const learning: KeySet = { version: 0, select: () => known }
    const verifier = new JWSVerifier(learning, ['HS256'], 8192)
    assert.throws(() => verifier.verify(sign(key)), TokenInvalidSignatureError)
    known = [key]
    assert.equal((verifier.verify(sign(key)) as { key: BoundKey }).key, key)
  })

  void it('an array of keys is a static set', () => {
    const key = hmac()
    assert.equal(new SyncJWSVerifier([key], ['HS256'], 8192).verify(sign(key)).key, key)
  })
})
