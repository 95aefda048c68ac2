/**
 * The seed's FastAPI quickstart, on Koa 3 with `@koa/router`: /login, /protected, /me and
 * /refresh, plus /logout, refresh-token rotation and a rate-limited login. AuthX needs no
 * middleware of its own; the small JSON reader on /login is there for the credentials only.
 */
import Koa from 'koa'
import type { Context } from 'koa'
import Router from '@koa/router'
import { AuthX } from 'authx-ts/koa'
import type { Store } from 'authx-ts'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'

/** Options for building the app (tests pass their own secret and store). */
export interface QuickstartOptions {
  secretKey?: string
  /** Shared state; the in-memory default serves one process, a RedisStore serves many. */
  store?: Store
}

const BAD_LOGIN = 'Expected a JSON body {"username": string, "password": string}'

/** The largest login body read: credentials are short. */
const MAX_LOGIN_BYTES = 16 * 1024

/**
 * The login body, or undefined when it is not `{ username: string, password: string }` JSON.
 * Koa parses no body; a real application would use a body parser middleware.
 */
async function credentials(
  ctx: Context,
): Promise<{ username: string; password: string } | undefined> {
  if (!/^application\/json/i.test(ctx.get('content-type'))) return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length
    if (size > MAX_LOGIN_BYTES) return undefined
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof body !== 'object' || body === null) return undefined
  const { username, password } = body as Record<string, unknown>
  return typeof username === 'string' && typeof password === 'string'
    ? { username, password }
    : undefined
}

/** Builds the quickstart app. */
export async function buildApp(options: QuickstartOptions = {}): Promise<Koa> {
  const app = new Koa()
  const router = new Router()
  const users = await createUserDatabase()
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    tokenLocation: ['headers'],
    refreshRotation: true,
    store: options.store,
  })
  // Error handlers come first in Koa: they wrap the middleware after them.
  auth.handleErrors(app)

  const loginLimit = auth.rateLimited({ max: 10, window: '1m' })
  router.post('/login', loginLimit, async (ctx) => {
    const body = await credentials(ctx)
    if (body === undefined) {
      ctx.status = 400
      ctx.body = { detail: BAD_LOGIN }
      return
    }
    const user = await users.checkCredentials(body.username, body.password)
    if (user === undefined) {
      ctx.status = 401
      ctx.body = { detail: 'Invalid credentials' }
      return
    }
    ctx.set('cache-control', 'no-store')
    ctx.body = auth.createTokenPair(user.username, { fresh: true })
  })

  router.get('/protected', auth.accessTokenRequired, (ctx) => {
    ctx.body = { message: 'You have access to this protected resource' }
  })

  router.get('/me', auth.accessTokenRequired, (ctx) => {
    const payload = auth.payload(ctx)
    ctx.body = { user_id: payload.sub, email: users.find(payload.sub)?.email ?? null }
  })

  // As in the seed, the refresh token comes in the Authorization header. With rotation on, the
  // answer also carries the next refresh token: the one just used is spent. An AuthX error thrown
  // here reaches auth.handleErrors above.
  router.post('/refresh', async (ctx) => {
    const refreshToken = await auth.getRefreshTokenFromRequest(ctx)
    const pair = await auth.refresh(refreshToken)
    ctx.set('cache-control', 'no-store')
    ctx.body = pair
  })

  // Revokes the access token presented and, when the JSON body carries it, the refresh token
  // (the adapter reads the body itself: no body parser needed).
  router.post('/logout', auth.accessTokenRequired, async (ctx) => {
    await auth.revokeToken(auth.payload(ctx))
    const refresh = await auth.getTokenFromRequest(ctx, { type: 'refresh', locations: ['json'] })
    if (refresh !== null) await auth.revokeToken(refresh.token)
    ctx.body = { detail: 'Logged out' }
  })

  app.use(router.routes()).use(router.allowedMethods())
  return app
}
