/**
 * The seed's FastAPI quickstart, on Express 5: /login, /protected, /me and /refresh, plus /logout,
 * refresh-token rotation and a rate-limited login. AuthX needs no middleware of its own; the
 * `express.json()` on /login is there for the credentials only.
 */
import express from 'express'
import type { ErrorRequestHandler, Express } from 'express'
import { AuthX } from 'authx-ts/express'
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

/** Body-parser failures (malformed JSON, too large) as JSON instead of Express's HTML page. */
const clientErrors: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  const status = (error as { status?: unknown }).status
  if (typeof status !== 'number' || status < 400 || status >= 500 || res.headersSent) {
    next(error)
    return
  }
  res.status(status).json({ detail: status === 400 ? BAD_LOGIN : 'Request rejected' })
}

/** Builds the quickstart app. */
export async function buildApp(options: QuickstartOptions = {}): Promise<Express> {
  const app = express()
  const users = await createUserDatabase()
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    tokenLocation: ['headers'],
    refreshRotation: true,
    store: options.store,
  })

  const loginLimit = auth.rateLimited({ max: 10, window: '1m' })
  app.post('/login', loginLimit, express.json(), async (req, res) => {
    const body = credentials(req.body)
    if (body === undefined) {
      res.status(400).json({ detail: BAD_LOGIN })
      return
    }
    const user = await users.checkCredentials(body.username, body.password)
    if (user === undefined) {
      res.status(401).json({ detail: 'Invalid credentials' })
      return
    }
    res.set('cache-control', 'no-store').json(auth.createTokenPair(user.username, { fresh: true }))
  })

  app.get('/protected', auth.accessTokenRequired, (_req, res) => {
    res.json({ message: 'You have access to this protected resource' })
  })

  app.get('/me', auth.accessTokenRequired, (req, res) => {
    const payload = auth.payload(req)
    res.json({ user_id: payload.sub, email: users.find(payload.sub)?.email ?? null })
  })

  // As in the seed, the refresh token comes in the Authorization header. With rotation on, the
  // answer also carries the next refresh token: the one just used is spent. An AuthX error thrown
  // here reaches auth.handleErrors below (Express 5 forwards rejected promises to error handlers).
  app.post('/refresh', async (req, res) => {
    const refreshToken = await auth.getRefreshTokenFromRequest(req)
    const pair = await auth.refresh(refreshToken)
    res.set('cache-control', 'no-store').json(pair)
  })

  // Revokes the access token presented and, when the JSON body carries it, the refresh token
  // (the adapter reads the body itself: no express.json() needed).
  app.post('/logout', auth.accessTokenRequired, async (req, res) => {
    await auth.revokeToken(auth.payload(req))
    const refresh = await auth.getTokenFromRequest(req, { type: 'refresh', locations: ['json'] })
    if (refresh !== null) await auth.revokeToken(refresh.token)
    res.json({ detail: 'Logged out' })
  })

  // Error handlers come last in Express.
  auth.handleErrors(app)
  app.use(clientErrors)
  return app
}
