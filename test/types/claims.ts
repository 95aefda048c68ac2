/**
 * Custom claims typed once per instance: `new AuthX<Claims>(...)` types what `verifyToken`,
 * `authenticate`, `payload(request)`, the guards, the blocklist and the subject getter hand out,
 * on the core and on every binding, without a type argument at each call. A call may still name
 * other claims. Also what option objects no longer accept.
 *
 * @packageDocumentation
 */
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { AuthX as CoreAuthX } from 'authx-ts'
import type { TokenPayload } from 'authx-ts'
import { AuthX as FastifyAuthX } from 'authx-ts/fastify'
import type { FastifyGuard } from 'authx-ts/fastify'
import { AuthX as ExpressAuthX } from 'authx-ts/express'
import { AuthX as HonoAuthX } from 'authx-ts/hono'
import type { HonoGuard } from 'authx-ts/hono'
import { withAuth } from 'authx-ts/fetch'
import type { Equal, Expect } from './helpers.ts'

type Claims = { role: 'admin' | 'user'; tenant: number }
type Other = { plan: 'free' | 'pro' }
const secretKey = 'x'.repeat(32)

export async function onCore(request: Request): Promise<void> {
  const auth = new CoreAuthX<Claims>({ secretKey })
  const verified = await auth.verifyToken('token')
  const synced = auth.verifyTokenSync('token')
  const authenticated = await auth.authenticate(request)
  const optional = await auth.authenticateOptional(request)
  const websocket = await auth.authenticateWebSocket(request)
  const named = await auth.verifyToken<Other>('token')
  const checks: [
    Expect<Equal<typeof verified, TokenPayload<Claims>>>,
    Expect<Equal<typeof synced, TokenPayload<Claims>>>,
    Expect<Equal<typeof authenticated, TokenPayload<Claims>>>,
    Expect<Equal<typeof optional, TokenPayload<Claims> | null>>,
    Expect<Equal<typeof websocket, TokenPayload<Claims>>>,
    Expect<Equal<typeof named, TokenPayload<Other>>>,
    Expect<Equal<(typeof verified)['role'], 'admin' | 'user'>>,
  ] = [true, true, true, true, true, true, true]
  void [checks, synced, authenticated, optional, websocket, named]
  auth.setTokenBlocklist((_token, payload) => payload.role === 'user' && payload.tenant === 0)
  auth.setSubjectGetter((sub, payload) => ({ id: sub, tenant: payload.tenant }))
  // @ts-expect-error a claim the instance does not declare
  void verified.department
  // Without a type argument nothing changes: custom claims are unknown.
  const plain = await new CoreAuthX({ secretKey }).verifyToken('token')
  const untyped: Expect<Equal<typeof plain, TokenPayload>> = true
  void [untyped, plain]
}

export function onFastify(): void {
  const auth = new FastifyAuthX<Claims>({ secretKey })
  const app = Fastify()
  const guard: FastifyGuard = auth.accessTokenRequired
  app.get('/me', { preHandler: guard }, async (request) => {
    const payload = auth.payload(request)
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    return { role: payload.role, typed }
  })
  app.get('/maybe', { preHandler: auth.tokenOptional }, async (request) => {
    const payload = auth.optionalPayload(request)
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims> | null>> = true
    return { role: payload?.role ?? null, typed }
  })
  app.post('/refresh', async (request) => {
    // The Fastify request itself, no auth.view(request).
    const found = await auth.getRefreshTokenFromRequest(request)
    const payload = await auth.authenticate(request, { type: 'refresh' })
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    return { pair: await auth.refresh(found), sub: payload.sub, typed }
  })
  // @ts-expect-error scopesRequired's any-of switch is `all`, not `allScopes`
  auth.scopesRequired(['read'], { allScopes: false })
  auth.scopesRequired(['read'], { all: false })
  // @ts-expect-error a misspelt guard option does not compile (and throws at run time)
  auth.tokenRequired({ verify_csrf: false })
}

export function onExpress(): void {
  const auth = new ExpressAuthX<Claims>({ secretKey })
  const app = express()
  app.get('/me', auth.accessTokenRequired, (req, res) => {
    const payload = auth.payload(req)
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    res.json({ role: payload.role, typed })
  })
  app.post('/logout', (_req, res) => {
    // Every auth cookie, with no second argument.
    auth.unsetCookies(res)
    res.json({})
  })
}

export function onHono(): void {
  const auth = new HonoAuthX<Claims>({ secretKey })
  const app = new Hono()
  const ready: Expect<Equal<typeof auth.accessTokenRequired, HonoGuard<Claims>>> = true
  void ready
  app.get('/me', auth.accessTokenRequired, (c) => {
    const fromContext = c.get('authx')
    const fromPayload = auth.payload(c)
    const typed: [
      Expect<Equal<typeof fromContext, TokenPayload<Claims>>>,
      Expect<Equal<typeof fromPayload, TokenPayload<Claims>>>,
    ] = [true, true]
    return c.json({ role: fromContext.role, tenant: fromPayload.tenant, typed })
  })
  app.get('/custom', auth.tokenRequired({ scopes: ['a'] }), (c) => c.json(c.get('authx').tenant))
  app.get('/other', auth.tokenRequired<Other>(), (c) => c.json({ plan: c.get('authx').plan }))
  app.post('/refresh', async (c) =>
    c.json(await auth.refresh(await auth.getRefreshTokenFromRequest(c))),
  )
}

export function onFetch(): void {
  const auth = new CoreAuthX<Claims>({ secretKey })
  withAuth(auth, {}, (_request, { payload }) => {
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    return Response.json({ role: payload.role, typed })
  })
  withAuth(auth, { optional: true }, (_request, { payload }) => {
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims> | null>> = true
    return Response.json({ role: payload?.role ?? null, typed })
  })
  // A type argument still works on an instance without claims.
  withAuth<Other>(new CoreAuthX({ secretKey }), {}, (_request, { payload }) =>
    Response.json({ plan: payload.plan }),
  )
}
