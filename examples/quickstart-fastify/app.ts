/**
 * The seed's FastAPI quickstart, on Fastify: /login, /protected, /me and /refresh, plus /logout,
 * refresh-token rotation and a rate-limited login. For browsers, the same logins as HttpOnly
 * cookies (/session), a small page at / that uses them, and Swagger UI at /docs.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { AuthX, isAuthXError } from 'authx-ts/fastify'
import type { Store } from 'authx-ts'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'
import { registerPage } from './page.ts'

/** Options for building the app (tests pass their own secret and store). */
export interface QuickstartOptions {
  secretKey?: string
  /** Shared state; the in-memory default serves one process, a RedisStore serves many. */
  store?: Store
}

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: { type: 'string' }, password: { type: 'string' } },
} as const

/** Swallows the 401s of a token that cannot be used anyway; rethrows everything else. */
function ignoreUnusableToken(error: unknown): void {
  if (!isAuthXError(error) || error.statusCode !== 401) throw error
}

/** Builds the quickstart app. */
export async function buildApp(options: QuickstartOptions = {}): Promise<FastifyInstance> {
  const app = Fastify()
  const users = await createUserDatabase()
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    // The seed's clients send `Authorization: Bearer`; the page's browser sends cookies. The
    // header is looked at first, so a curl session behaves exactly as in the seed.
    tokenLocation: ['headers', 'cookies'],
    // The refresh cookie only travels to the /session routes that use it; the CSRF cookies stay
    // at / so the page's script can read them.
    refreshCookiePath: '/session',
    refreshRotation: true,
    store: options.store,
  })
  auth.handleErrors(app)

  // The OpenAPI document: every route guarded by `auth` gets its security requirement, and
  // Swagger UI's Authorize button offers the bearer scheme.
  await app.register(swagger, {
    openapi: {
      info: { title: 'authx-ts quickstart', version: '1.0.0' },
      components: { securitySchemes: auth.openapiComponents() },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  auth.openapi(app)
  registerPage(app)

  const loginLimit = auth.rateLimited({ max: 10, window: '1m' })
  const loginSchema = { summary: 'Log in; answers a token pair', body: credentials }
  app.post('/login', { schema: loginSchema, preHandler: loginLimit }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string }
    const user = await users.checkCredentials(username, password)
    if (user === undefined) return reply.code(401).send({ detail: 'Invalid credentials' })
    void reply.header('cache-control', 'no-store')
    return auth.createTokenPair(user.username, { fresh: true })
  })

  app.get(
    '/protected',
    { schema: { summary: 'A protected resource' }, preHandler: auth.accessTokenRequired },
    async () => {
      return { message: 'You have access to this protected resource' }
    },
  )

  // A bearer header or the access cookie, whichever the client has.
  app.get(
    '/me',
    { schema: { summary: 'The current user' }, preHandler: auth.accessTokenRequired },
    async (request) => {
      const payload = auth.payload(request)
      return { user_id: payload.sub, email: users.find(payload.sub)?.email ?? null }
    },
  )

  // As in the seed, the refresh token comes in the Authorization header. With rotation on, the
  // answer also carries the next refresh token: the one just used is spent.
  app.post(
    '/refresh',
    { schema: { summary: 'Exchange a refresh token (bearer) for a new pair' } },
    async (request, reply) => {
      const refreshToken = await auth.getRefreshTokenFromRequest(request, ['headers'])
      const pair = await auth.refresh(refreshToken)
      void reply.header('cache-control', 'no-store')
      return pair
    },
  )

  // Revokes the access token presented and, when the body carries it, the refresh token.
  app.post(
    '/logout',
    { schema: { summary: 'Revoke the tokens' }, preHandler: auth.accessTokenRequired },
    async (request) => {
      await auth.revokeToken(auth.payload(request))
      const refresh = await auth.getTokenFromRequest(request, {
        type: 'refresh',
        locations: ['json'],
      })
      if (refresh !== null) await auth.revokeToken(refresh.token)
      return { detail: 'Logged out' }
    },
  )

  // ---- the browser's session: the same tokens, in cookies the page's script cannot read ----

  // The tokens go to HttpOnly cookies; the readable CSRF cookies carry the value the page must
  // copy into the X-CSRF-TOKEN header of every request that changes something.
  const sessionSchema = { summary: 'Log in with cookies (browsers)', body: credentials }
  app.post(
    '/session',
    { schema: sessionSchema, preHandler: loginLimit },
    async (request, reply) => {
      const { username, password } = request.body as { username: string; password: string }
      const user = await users.checkCredentials(username, password)
      if (user === undefined) return reply.code(401).send({ detail: 'Invalid credentials' })
      const pair = auth.createTokenPair(user.username, { fresh: true })
      auth.setAccessCookies(pair.access_token, reply)
      auth.setRefreshCookies(pair.refresh_token, reply)
      void reply.header('cache-control', 'no-store')
      return { detail: 'Logged in' }
    },
  )

  // Only the refresh cookie counts here, and being a POST it needs the X-CSRF-TOKEN header
  // holding the refresh token's CSRF value: another site can make the browser send the cookie,
  // never read it to fill the header.
  app.post(
    '/session/refresh',
    { schema: { summary: 'Refresh the cookies (refresh cookie + CSRF header)' } },
    async (request, reply) => {
      const refreshToken = await auth.getRefreshTokenFromRequest(request, ['cookies'])
      const pair = await auth.refresh(refreshToken)
      auth.setAccessCookies(pair.access_token, reply)
      auth.setRefreshCookies(pair.refresh_token, reply)
      void reply.header('cache-control', 'no-store')
      return { detail: 'Refreshed' }
    },
  )

  // Logging out takes the access cookie and its CSRF header; it revokes the access token and the
  // refresh token (which ends the rotation family), then deletes every auth cookie.
  const cookieGuard = auth.tokenRequired({ type: 'access', locations: ['cookies'] })
  app.delete(
    '/session',
    { schema: { summary: 'Log out: revoke and delete the cookies' }, preHandler: cookieGuard },
    async (request, reply) => {
      await auth.revokeToken(auth.payload(request))
      const refresh = await auth.getTokenFromRequest(request, {
        type: 'refresh',
        locations: ['cookies'],
      })
      // A refresh cookie that does not verify is unusable anyway: nothing to revoke. A store
      // that cannot answer still fails the logout (503), so nothing is left half revoked.
      if (refresh !== null) await auth.revokeToken(refresh.token).catch(ignoreUnusableToken)
      auth.unsetCookies(reply)
      return { detail: 'Logged out' }
    },
  )

  return app
}
