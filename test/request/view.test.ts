import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  decodeRequestPath,
  isFormContentType,
  isJSONContentType,
  parseCookieHeader,
  requestTargetPath,
  viewFromRequest,
} from '../../src/request/view.ts'

const URL_BASE = 'http://localhost:3000'

function post(body: BodyInit, contentType: string | undefined, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra }
  if (contentType !== undefined) headers['content-type'] = contentType
  return new Request(`${URL_BASE}/login`, { method: 'POST', body, headers })
}

void describe('viewFromRequest: request line and headers', () => {
  void test('method is upper-case, path has no query string', async () => {
    const view = await viewFromRequest(new Request(`${URL_BASE}/a/b?x=1#frag`, { method: 'purge' }))
    assert.equal(view.method, 'PURGE')
    assert.equal(view.path, '/a/b')
    assert.equal((await viewFromRequest(new Request(`${URL_BASE}`))).path, '/')
  })

  void test('headers by name, case-insensitive; repeated headers joined', async () => {
    const headers = new Headers({ Authorization: 'Bearer x' })
    headers.append('X-Many', 'a')
    headers.append('X-Many', 'b')
    const view = await viewFromRequest(new Request(URL_BASE, { headers }))
    assert.equal(view.header('authorization'), 'Bearer x')
    assert.equal(view.header('Authorization'), 'Bearer x')
    assert.equal(view.header('x-many'), 'a, b')
    assert.equal(view.header('x-none'), undefined)
  })

  void test('cookies are parsed from the Cookie header, values decoded', async () => {
    const view = await viewFromRequest(
      new Request(URL_BASE, {
        headers: { cookie: 'access_token_cookie=abc.def.ghi; csrf_access_token=1%202; empty=' },
      }),
    )
    assert.equal(view.cookie('access_token_cookie'), 'abc.def.ghi')
    assert.equal(view.cookie('csrf_access_token'), '1 2')
    assert.equal(view.cookie('empty'), '')
    assert.equal(view.cookie('missing'), undefined)
    // Repeated reads use the parsed result.
    assert.equal(view.cookie('access_token_cookie'), 'abc.def.ghi')
  })

  void test('no Cookie header means no cookies, and no prototype lookups', async () => {
    const view = await viewFromRequest(new Request(URL_BASE))
    assert.equal(view.cookie('access_token_cookie'), undefined)
    assert.equal(view.cookie('toString'), undefined)
    assert.equal(view.cookie('__proto__'), undefined)
  })

  void test('query: a string, an array when repeated, undefined when absent', async () => {
    const view = await viewFromRequest(
      new Request(`${URL_BASE}/p?token=a.b.c&dup=1&dup=2&empty=&enc=x%2By`),
    )
    assert.equal(view.query('token'), 'a.b.c')
    assert.deepEqual(view.query('dup'), ['1', '2'])
    assert.equal(view.query('empty'), '')
    assert.equal(view.query('enc'), 'x+y')
    assert.equal(view.query('missing'), undefined)
  })
})

void describe('request paths as routers take them', () => {
  void test('requestTargetPath: fragment, query and absolute form are not part of the path', () => {
    const cases: [string, string][] = [
      ['/login', '/login'],
      ['/login#x', '/login'],
      ['/login?a=b#c', '/login'],
      ['/login#x?a=b', '/login'],
      ['http://any-host/login', '/login'],
      ['HTTPS://any-host:8443/login?x=1', '/login'],
      ['http://any-host', '/'],
      ['http://any-host?x=1', '/'],
      ['http://any-host#x', '/'],
      ['/l%6Fgin', '/login'],
      ['//login', '//login'],
      ['/', '/'],
      ['*', '*'],
    ]
    for (const [target, path] of cases) assert.equal(requestTargetPath(target), path, target)
    assert.equal(requestTargetPath('/login;jsessionid=1'), '/login;jsessionid=1')
    assert.equal(requestTargetPath('/login;jsessionid=1', true), '/login')
  })

  void test('decodeRequestPath: escapes decoded as routers do, reserved ones kept, never twice', () => {
    assert.equal(decodeRequestPath('/l%6Fgin'), '/login')
    assert.equal(decodeRequestPath('/caf%C3%A9'), '/café')
    // A decoded `/`, `?` or `#` would split or end the path: they stay escaped.
    assert.equal(decodeRequestPath('/a%2Fb%3Fc%23d'), '/a%2Fb%3Fc%23d')
    // `%25` stays `%25`, so a decoded path decodes to itself.
    assert.equal(decodeRequestPath('/a%256Fb'), '/a%256Fb')
    assert.equal(decodeRequestPath(decodeRequestPath('/a%256Fb')), '/a%256Fb')
    assert.equal(decodeRequestPath('/bad%E9'), '/bad%E9', 'not UTF-8: left as sent')
    assert.equal(decodeRequestPath('/bad%zz'), '/bad%zz')
  })

  void test('viewFromRequest: the path is decoded, the route undefined (no router)', async () => {
    const view = await viewFromRequest(new Request(`${URL_BASE}/l%6Fgin?x=1`, { method: 'POST' }))
    assert.equal(view.path, '/login')
    assert.equal(view.route, undefined)
  })
})

void describe('viewFromRequest: bodies', () => {
  const body = JSON.stringify({ access_token: 't' })

  for (const contentType of [
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset=UTF-8',
    'application/vnd.api+json',
    'application/problem+json; charset=utf-8',
  ]) {
    void test(`JSON is read for ${contentType}`, async () => {
      const view = await viewFromRequest(post(body, contentType))
      assert.deepEqual(view.json(), { access_token: 't' })
      assert.equal(view.form(), undefined)
    })
  }

  for (const contentType of ['text/plain', 'text/json', 'application/jsonp', undefined]) {
    void test(`JSON is not read for ${String(contentType)}`, async () => {
      assert.equal((await viewFromRequest(post(body, contentType))).json(), undefined)
    })
  }

  void test('the handler can still read the body afterwards', async () => {
    const request = post(body, 'application/json')
    await viewFromRequest(request)
    assert.equal(request.bodyUsed, false)
    assert.deepEqual(await request.json(), { access_token: 't' })
  })

  void test('an unparsable JSON body gives undefined, not an error', async () => {
    for (const bad of ['{"access_token":', '', 'nope']) {
      assert.equal((await viewFromRequest(post(bad, 'application/json'))).json(), undefined)
    }
  })

  void test('JSON that is not an object is returned as parsed', async () => {
    assert.deepEqual((await viewFromRequest(post('[1,2]', 'application/json'))).json(), [1, 2])
    assert.equal((await viewFromRequest(post('null', 'application/json'))).json(), null)
  })

  void test('a GET without a body has no JSON', async () => {
    const view = await viewFromRequest(
      new Request(URL_BASE, { headers: { 'content-type': 'application/json' } }),
    )
    assert.equal(view.json(), undefined)
  })

  void test('JSON is not read when not wanted', async () => {
    const view = await viewFromRequest(post(body, 'application/json'), { json: false, form: true })
    assert.equal(view.json(), undefined)
    assert.equal(view.form(), undefined)
  })

  void test('a body declared larger than 1 MiB is not read', async () => {
    const big = JSON.stringify({ access_token: 't', pad: 'x'.repeat((1 << 20) + 1) })
    const view = await viewFromRequest(
      post(big, 'application/json', { 'content-length': String(Buffer.byteLength(big)) }),
    )
    assert.equal(view.json(), undefined)
    // Right at the limit it is still read.
    const fits = JSON.stringify({ access_token: 't' }).padEnd(1 << 20, ' ')
    const atLimit = await viewFromRequest(
      post(fits, 'application/json', { 'content-length': String(1 << 20) }),
    )
    assert.deepEqual(atLimit.json(), { access_token: 't' })
  })

  void test('urlencoded and multipart forms are read when wanted', async () => {
    const urlencoded = await viewFromRequest(
      post('csrf_token=abc&x=1', 'application/x-www-form-urlencoded'),
      { json: true, form: true },
    )
    assert.deepEqual(urlencoded.form(), { csrf_token: 'abc', x: '1' })
    assert.equal(urlencoded.json(), undefined)

    const data = new FormData()
    data.set('csrf_token', 'def')
    const multipart = await viewFromRequest(
      new Request(`${URL_BASE}/p`, { method: 'POST', body: data }),
      { json: false, form: true },
    )
    assert.deepEqual(multipart.form(), { csrf_token: 'def' })
  })

  void test('forms are not read by default', async () => {
    const view = await viewFromRequest(post('csrf_token=abc', 'application/x-www-form-urlencoded'))
    assert.equal(view.form(), undefined)
  })

  void test('a broken multipart body gives undefined', async () => {
    const view = await viewFromRequest(post('garbage', 'multipart/form-data; boundary=zzz'), {
      json: false,
      form: true,
    })
    assert.equal(view.form(), undefined)
  })
})

void describe('content-type helpers', () => {
  void test('isJSONContentType', () => {
    assert.equal(isJSONContentType('application/json'), true)
    assert.equal(isJSONContentType(' application/json ; charset=utf-8'), true)
    assert.equal(isJSONContentType('application/ld+json'), true)
    assert.equal(isJSONContentType('text/x+json'), false)
    assert.equal(isJSONContentType('application/json-patch'), false)
    assert.equal(isJSONContentType(''), false)
    assert.equal(isJSONContentType(undefined), false)
  })

  void test('isFormContentType', () => {
    assert.equal(isFormContentType('application/x-www-form-urlencoded'), true)
    assert.equal(isFormContentType('application/x-www-form-urlencoded; charset=utf-8'), true)
    assert.equal(isFormContentType('multipart/form-data; boundary=x'), true)
    assert.equal(isFormContentType('text/plain'), false)
    assert.equal(isFormContentType(undefined), false)
  })

  void test('parseCookieHeader', () => {
    assert.deepEqual({ ...parseCookieHeader('a=1; b=2') }, { a: '1', b: '2' })
    assert.deepEqual({ ...parseCookieHeader('') }, {})
    assert.deepEqual({ ...parseCookieHeader(undefined) }, {})
    assert.equal(Object.getPrototypeOf(parseCookieHeader(undefined)), null)
  })
})
