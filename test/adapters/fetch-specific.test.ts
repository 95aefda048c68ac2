/**
 * The Fetch-API helpers beyond what the conformance suite drives: the subject and typed claims
 * in `withAuth`, errors that are not AuthX's, and cookies on responses whose headers are
 * immutable.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { applyCookies, handleErrors, withAuth } from '../../src/adapters/fetch.ts'
import { AuthX } from '../../src/index.ts'
import { baseOptions, bearer } from './helpers.ts'

const URL_BASE = 'http://localhost'

void describe('Fetch helpers', () => {
  void test('withAuth hands over the payload with typed claims and, on request, the subject', async () => {
    const auth = new AuthX(baseOptions())
    auth.setSubjectGetter((sub) => (sub === 'alice' ? { name: 'Alice' } : null))
    let runs = 0
    const handler = withAuth<{ role: string }, { name: string }>(
      auth,
      { subject: true },
      (_request, { payload, subject }) => {
        runs++
        const role: string = payload.role
        return Response.json({ role, name: subject.name })
      },
    )
    const token = auth.createAccessToken('alice', { data: { role: 'admin' } })
    const ok = await handler(new Request(`${URL_BASE}/me`, { headers: bearer(token) }))
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { role: 'admin', name: 'Alice' })
    const nobody = await handler(
      new Request(`${URL_BASE}/me`, { headers: bearer(auth.createAccessToken('mallory')) }),
    )
    assert.equal(nobody.status, 401)
    assert.equal(
      ((await nobody.json()) as { error_type: string }).error_type,
      'SubjectNotFoundError',
    )
    assert.equal(runs, 1)
  })

  void test('withAuth without subject leaves it undefined and does not call the getter', async () => {
    const auth = new AuthX(baseOptions())
    let calls = 0
    auth.setSubjectGetter(() => {
      calls++
      return {}
    })
    const handler = withAuth(auth, {}, (_request, { subject }) =>
      Response.json({ subject: subject ?? null }),
    )
    const res = await handler(
      new Request(URL_BASE, { headers: bearer(auth.createAccessToken('alice')) }),
    )
    assert.deepEqual(await res.json(), { subject: null })
    assert.equal(calls, 0)
  })

  void test('errors that are not AuthX errors propagate to the runtime untouched', async () => {
    const auth = new AuthX(baseOptions())
    const failure = new Error('db down')
    const open = handleErrors(auth, () => {
      throw failure
    })
    await assert.rejects(open(new Request(URL_BASE)), (error) => error === failure)
    const guarded = withAuth(auth, {}, () => Promise.reject(failure))
    await assert.rejects(
      guarded(new Request(URL_BASE, { headers: bearer(auth.createAccessToken('alice')) })),
      (error) => error === failure,
    )
  })

  void test('applyCookies appends to a mutable response and copies an immutable one', async () => {
    const auth = new AuthX(baseOptions({ tokenLocation: ['cookies'] }))
    const cookies = auth.accessCookies(auth.createAccessToken('alice'))
    const mutable = new Response('ok', { headers: { 'set-cookie': 'theme=dark' } })
    const same = applyCookies(mutable, cookies)
    assert.equal(same, mutable)
    assert.deepEqual(
      same.headers.getSetCookie().map((h) => h.split('=', 1)[0]),
      ['theme', 'access_token_cookie', 'csrf_access_token'],
    )
    const redirect = Response.redirect(`${URL_BASE}/home`, 303)
    assert.throws(() => redirect.headers.append('set-cookie', 'x=y'), TypeError)
    const copied = applyCookies(redirect, auth.unsetCookies())
    assert.notEqual(copied, redirect)
    assert.equal(copied.status, 303)
    assert.equal(copied.headers.get('location'), `${URL_BASE}/home`)
    assert.equal(copied.headers.getSetCookie().length, 4)
    assert.equal(await copied.text(), '')
  })
})
