/**
 * The seed's FastAPI quickstart, on Hono 4: /login, /protected, /me and /refresh, plus /logout,
 * refresh-token rotation and a rate-limited login. The app is a plain Hono app: the same code runs
 * on Node (see main.ts), Bun, Deno or Workers.
 */
import { Hono } from 'hono'
import { AuthX } from 'authx-ts/hono'
import type { Store } from 'authx-ts'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'

/** Options for building the app (tests pass their own secret and store). */
export interface QuickstartOptions {
  secretKey?: string
  /** Shared state; the in-memory default serves one process, a RedisStore serves many. */
  store?: Store
}

/** The login body, or undefined when it is not `{ username: string, password: string }`. */
function credentials(body: unknown): { username: string; password: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { username, password } = body as Record<string, unknown>
  return typeof username === 'string' && typeof password === 'string'
    ? { username, password }
    : undefined
}

const BAD_LOGIN = 'Expected a JSON body {"username": string, "password": string}'

/** Builds the quickstart app. */
export async function buildApp(options: QuickstartOptions = {}): Promise<Hono> {
  const app = new Hono()
  const users = await createUserDatabase()
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    tokenLocation: ['headers'],
    refreshRotation: true,
    store: options.store,
  })
  auth.handleErrors(app)

  const loginLimit = auth.rateLimited({ max: 10, window: '1m' })
  app.post('/login', loginLimit, async (c) => {
    // Malformed JSON is the client's mistake: a 400, not Hono's 500.
    const body = credentials(await c.req.json().catch(() => undefined))
    if (body === undefined) return c.json({ detail: BAD_LOGIN }, 400)
    const user = await users.checkCredentials(body.username, body.password)
    if (user === undefined) return c.json({ detail: 'Invalid credentials' }, 401)
    c.header('cache-control', 'no-store')
    return c.json(auth.createTokenPair(user.username, { fresh: true }))
  })

  app.get('/protected', auth.accessTokenRequired, (c) => {
    return c.json({ message: 'You have access to this protected resource' })
  })

  // The guard types the context: c.get('authx') is the verified TokenPayload.
  app.get('/me', auth.accessTokenRequired, (c) => {
    const payload = c.get('authx')
    return c.json({ user_id: payload.sub, email: users.find(payload.sub)?.email ?? null })
  })

  // As in the seed, the refresh token comes in the Authorization header. With rotation on, the
  // answer also carries the next refresh token: the one just used is spent. The core methods take
  // the Hono context as it is; an AuthX error thrown here reaches auth.handleErrors.
  app.post('/refresh', async (c) => {
    const refreshToken = await auth.getRefreshTokenFromRequest(c)
    const pair = await auth.refresh(refreshToken)
    c.header('cache-control', 'no-store')
    return c.json(pair)
  })

  // Revokes the access token presented and, when the JSON body carries it, the refresh token.
  app.post('/logout', auth.accessTokenRequired, async (c) => {
    await auth.revokeToken(c.get('authx'))
    const refresh = await auth.getTokenFromRequest(c, {
      type: 'refresh',
      locations: ['json'],
    })
    if (refresh !== null) await auth.revokeToken(refresh.token)
    return c.json({ detail: 'Logged out' })
  })

  return app
}
