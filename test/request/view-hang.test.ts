/**
 * A body over the cap without Content-Length, read lazily from a string: the view gives up on the
 * body without hanging, and the handler can still read the whole body.
 */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { viewFromRequest } from '../../src/request/view.ts'

it('an oversized JSON body without Content-Length yields no token and does not hang', async () => {
  const big = JSON.stringify({ access_token: 'x', pad: 'a'.repeat(2 * 1024 * 1024) })
  const request = new Request('http://localhost/p', {
    method: 'POST',
    body: big,
    headers: { 'content-type': 'application/json' },
  })
  const view = await viewFromRequest(request)
  assert.equal(view.json(), undefined)
  assert.equal((await request.text()).length, big.length)
})
