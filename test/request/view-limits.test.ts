import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { viewFromRequest } from '../../src/request/view.ts'

/** A request whose body is streamed (chunked): no Content-Length says how big it is. */
function streamed(text: string, contentType: string): Request {
  const bytes = new TextEncoder().encode(text)
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024)
        controller.enqueue(bytes.slice(i, i + 64 * 1024))
      controller.close()
    },
  })
  return new Request('http://localhost/p', {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
    duplex: 'half',
  } as RequestInit)
}

void describe('viewFromRequest: bodies without a Content-Length', () => {
  void test('a streamed body over 1 MiB is not read for a token, and stays whole for the handler', async () => {
    const big = JSON.stringify({ access_token: 't', pad: 'x'.repeat((1 << 20) + 1) })
    const request = streamed(big, 'application/json')
    const view = await viewFromRequest(request)
    assert.equal(view.json(), undefined)
    assert.equal(await request.text(), big)
  })

  void test('a streamed form over 1 MiB is not read either', async () => {
    const big = `csrf_token=abc&pad=${'x'.repeat((1 << 20) + 1)}`
    const view = await viewFromRequest(streamed(big, 'application/x-www-form-urlencoded'), {
      json: false,
      form: true,
    })
    assert.equal(view.form(), undefined)
  })

  void test('a small streamed body is read as before', async () => {
    const view = await viewFromRequest(streamed('{"access_token":"t"}', 'application/json'))
    assert.deepEqual(view.json(), { access_token: 't' })
    const form = await viewFromRequest(
      streamed('csrf_token=abc', 'application/x-www-form-urlencoded'),
      {
        json: false,
        form: true,
      },
    )
    assert.deepEqual(form.form(), { csrf_token: 'abc' })
  })
})
