/**
 * The guards' generics on each binding: `GuardOf<A>` (what `AuthManager<A>` hands out),
 * `auth.payload<Extra>(request)`, and Hono's typed context (`HonoGuard<Extra>`, `AuthXEnv`).
 * Each guard is also used where its framework expects one, so a guard type that drifted from the
 * framework's own types fails here.
 *
 * @packageDocumentation
 */
import express from 'express'
import Fastify from 'fastify'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { AuthX as CoreAuthX, AuthManager, GuardOf, TokenPayload } from 'authx-ts'
import type { AuthX as FastifyAuthX, FastifyGuard } from 'authx-ts/fastify'
import type { AuthX as ExpressAuthX, ExpressGuard } from 'authx-ts/express'
import type { AuthX as HonoAuthX, AuthXEnv, HonoGuard } from 'authx-ts/hono'
import type { Equal, Expect } from './helpers.ts'

type Claims = { role: 'admin' | 'user' }

export type GuardTypes = [
  Expect<Equal<GuardOf<FastifyAuthX>, FastifyGuard>>,
  Expect<Equal<GuardOf<ExpressAuthX>, ExpressGuard>>,
  Expect<Equal<GuardOf<HonoAuthX>, HonoGuard>>,
  // The framework-free core has no guards.
  Expect<Equal<GuardOf<CoreAuthX>, never>>,
  Expect<Equal<ReturnType<AuthManager<FastifyAuthX>['accessTokenRequired']>, FastifyGuard>>,
  Expect<Equal<ReturnType<AuthManager<ExpressAuthX>['tokenRequired']>, ExpressGuard>>,
  Expect<Equal<ReturnType<AuthManager<HonoAuthX>['policyRequired']>, HonoGuard>>,
  Expect<Equal<ReturnType<AuthManager<FastifyAuthX>['get']>, FastifyAuthX>>,
  // The ready guards are the binding's guard type.
  Expect<Equal<FastifyAuthX['accessTokenRequired'], FastifyGuard>>,
  Expect<Equal<ExpressAuthX['freshTokenRequired'], ExpressGuard>>,
  Expect<Equal<HonoAuthX['currentSubject'], HonoGuard>>,
]

export function onFastify(auth: FastifyAuthX, manager: AuthManager<FastifyAuthX>): void {
  const app = Fastify()
  app.get('/me', { preHandler: auth.accessTokenRequired }, async (request) => {
    const payload = auth.payload<Claims>(request)
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    return { role: payload.role, typed }
  })
  app.get('/admin', { preHandler: [manager.accessTokenRequired('admin')] }, async (request) => {
    const role: 'admin' | 'user' = auth.payload<Claims>(request).role
    // @ts-expect-error without a type argument a custom claim is unknown
    const untyped: string = auth.payload(request).role
    return { role, untyped }
  })
}

export function onExpress(auth: ExpressAuthX, manager: AuthManager<ExpressAuthX>): void {
  const app = express()
  app.get('/me', auth.accessTokenRequired, (req, res) => {
    const payload = auth.payload<Claims>(req)
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    res.json({ role: payload.role, typed })
  })
  app.get('/admin', manager.accessTokenRequired('admin'), (req, res) => {
    res.json({ role: auth.payload<Claims>(req).role })
  })
}

export function onHono(auth: HonoAuthX, manager: AuthManager<HonoAuthX>): void {
  const app = new Hono()
  // The type argument of a guard types `c.get('authx')` in the handlers after it.
  app.get('/me', auth.tokenRequired<Claims>(), (c) => {
    const payload = c.get('authx')
    const typed: Expect<Equal<typeof payload, TokenPayload<Claims>>> = true
    return c.json({ role: payload.role, typed })
  })
  app.get('/scoped', auth.scopesRequired<Claims>(['read']), (c) => c.json(c.get('authx').role))
  app.get('/admin', manager.accessTokenRequired('admin'), (c) =>
    c.json({ role: auth.payload<Claims>(c).role }),
  )
  app.get('/subject', auth.currentSubject, (c) => c.json({ sub: c.get('authx').sub }))

  const guard: HonoGuard<Claims> = auth.tokenRequired<Claims>()
  const middleware: MiddlewareHandler<AuthXEnv<Claims>> = guard
  void middleware
  // A handler defined apart from its route, typed by the Env.
  const handler = (c: Context<AuthXEnv<Claims, { id: number }>>) => {
    const subject = c.get('authxSubject')
    const typed: Expect<Equal<typeof subject, { id: number }>> = true
    return c.json({ role: c.get('authx').role, id: subject.id, typed })
  }
  void handler
  app.get('/wrong', auth.tokenRequired<Claims>(), (c) => {
    // @ts-expect-error `Claims` has no `department`
    return c.json(c.get('authx').department)
  })
}
