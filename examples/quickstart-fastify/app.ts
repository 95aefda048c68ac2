/**
 * The seed's FastAPI quickstart, on Fastify: /login, /protected, /me and /refresh, plus /logout,
 * refresh-token rotation and a rate-limited login.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { AuthX } from 'authx-ts/fastify'
import type { Store } from 'authx-ts'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'

/** Options for building the app (tests pass their own secret and store). */
export interface QuickstartOptions {
  secretKey?: string
  /** Shared state; the in-memory default serves one process, a RedisStore serves many. */
  store?: Store
}

const loginSchema = {
  body: {
    type: 'object',
    required: ['username', 'password'],
    properties: { username: { type: 'string' }, password: { type: 'string' } },
  },
} as const

/** Builds the quickstart app. */
export async function buildApp(options: QuickstartOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  const users = await createUserDatabase()
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    tokenLocation: ['headers'],
    refreshRotation: true,
    store: options.store,
  })
  auth.handleErrors(app)

  const loginLimit = auth.rateLimited({ max: 10, window: '1m' })
  app.post('/login', { schema: loginSchema, preHandler: loginLimit }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string }
    const user = await users.checkCredentials(username, password)
    if (user === undefined) return reply.code(401).send({ detail: 'Invalid credentials' })
    void reply.header('cache-control', 'no-store')
    return auth.createTokenPair(user.username, { fresh: true })
  })

  app.get('/protected', { preHandler: auth.accessTokenRequired }, async () => {
    return { message: 'You have access to this protected resource' }
  })

  app.get('/me', { preHandler: auth.accessTokenRequired }, async (request) => {
    const payload = auth.payload(request)
    return { user_id: payload.sub, email: users.find(payload.sub)?.email ?? null }
  })

  // As in the seed, the refresh token comes in the Authorization header. With rotation on, the
  // answer also carries the next refresh token: the one just used is spent.
  app.post('/refresh', async (request, reply) => {
    const refreshToken = await auth.getRefreshTokenFromRequest(auth.view(request))
    const pair = await auth.refresh(refreshToken)
    void reply.header('cache-control', 'no-store')
    return pair
  })

  // Revokes the access token presented and, when the body carries it, the refresh token.
  app.post('/logout', { preHandler: auth.accessTokenRequired }, async (request) => {
    await auth.revokeToken(auth.payload(request))
    const refresh = await auth.getTokenFromRequest(auth.view(request), {
      type: 'refresh',
      locations: ['json'],
    })
    if (refresh !== null) await auth.revokeToken(refresh.token)
    return { detail: 'Logged out' }
  })

  return app
}
