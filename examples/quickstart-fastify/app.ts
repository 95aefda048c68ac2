/**
 * The seed's FastAPI quickstart, on Fastify: /login, /protected, /me and /refresh.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { AuthX } from 'authx-ts/fastify'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'

/** Options for building the app (tests pass their own secret). */
export interface QuickstartOptions {
  secretKey?: string
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
  })
  auth.handleErrors(app)

  app.post('/login', { schema: loginSchema }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string }
    const user = await users.checkCredentials(username, password)
    if (user === undefined) return reply.code(401).send({ detail: 'Invalid credentials' })
    void reply.header('cache-control', 'no-store')
    return {
      access_token: auth.createAccessToken(user.username, { fresh: true }),
      refresh_token: auth.createRefreshToken(user.username),
      token_type: 'bearer',
    }
  })

  app.get('/protected', { preHandler: auth.accessTokenRequired }, async () => {
    return { message: 'You have access to this protected resource' }
  })

  app.get('/me', { preHandler: auth.accessTokenRequired }, async (request) => {
    const payload = auth.payload(request)
    return { user_id: payload.sub, email: users.find(payload.sub)?.email ?? null }
  })

  app.post('/refresh', async (request, reply) => {
    const refreshToken = await auth.getRefreshTokenFromRequest(auth.view(request))
    const payload = await auth.verifyToken(refreshToken, { verifyType: true })
    void reply.header('cache-control', 'no-store')
    return { access_token: auth.createAccessToken(payload.sub), token_type: 'bearer' }
  })

  return app
}
