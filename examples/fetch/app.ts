/**
 * The seed's FastAPI quickstart as one Fetch-API handler, `(request: Request) => Promise<Response>`:
 * /login, /protected, /me, /refresh and /logout. No framework: the same function is what
 * `Bun.serve({ fetch })`, `Deno.serve(handler)`, a Cloudflare Worker's `fetch` or a Next.js
 * route handler (`export const GET = ...`) expects. main.ts serves it on Node.
 */
import { AuthX } from 'authx-ts'
import type { Store } from 'authx-ts'
import { handleErrors, withAuth } from 'authx-ts/fetch'
import type { FetchHandler } from 'authx-ts/fetch'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'

/** Options for building the handler (tests pass their own secret and store). */
export interface FetchExampleOptions {
  secretKey?: string
  /** Shared state; the in-memory default serves one process, a RedisStore serves many. */
  store?: Store
}

const BAD_LOGIN = 'Expected a JSON body {"username": string, "password": string}'
const NO_STORE = { 'cache-control': 'no-store' }

/** The login body, or undefined when it is not `{ username: string, password: string }`. */
async function credentials(
  request: Request,
): Promise<{ username: string; password: string } | undefined> {
  const body: unknown = await request.json().catch(() => undefined)
  if (typeof body !== 'object' || body === null) return undefined
  const { username, password } = body as Record<string, unknown>
  return typeof username === 'string' && typeof password === 'string'
    ? { username, password }
    : undefined
}

/** Builds the handler: one function per route, and a tiny router in front of them. */
export async function createHandler(options: FetchExampleOptions = {}): Promise<FetchHandler> {
  const users = await createUserDatabase()
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    tokenLocation: ['headers'],
    refreshRotation: true,
    store: options.store,
  })

  const login = async (request: Request): Promise<Response> => {
    const body = await credentials(request)
    if (body === undefined) return Response.json({ detail: BAD_LOGIN }, { status: 400 })
    const user = await users.checkCredentials(body.username, body.password)
    if (user === undefined) return Response.json({ detail: 'Invalid credentials' }, { status: 401 })
    return Response.json(auth.createTokenPair(user.username, { fresh: true }), {
      headers: NO_STORE,
    })
  }

  // withAuth runs the whole pipeline first; the handler only runs with a verified payload.
  const protectedRoute = withAuth(auth, {}, () =>
    Response.json({ message: 'You have access to this protected resource' }),
  )

  const me = withAuth(auth, {}, (_request, { payload }) =>
    Response.json({ user_id: payload.sub, email: users.find(payload.sub)?.email ?? null }),
  )

  // As in the seed, the refresh token comes in the Authorization header; handleErrors turns the
  // AuthX errors thrown here (missing, expired, an access token, a replay) into the contract.
  const refresh = handleErrors(auth, async (request) => {
    const pair = await auth.refresh(await auth.getRefreshTokenFromRequest(request))
    return Response.json(pair, { headers: NO_STORE })
  })

  // Revokes the access token presented and, when the JSON body carries it, the refresh token.
  // The core reads a clone of the body, so the request stays readable.
  const logout = withAuth(auth, {}, async (request, { payload }) => {
    await auth.revokeToken(payload)
    const found = await auth.getTokenFromRequest(request, { type: 'refresh', locations: ['json'] })
    if (found !== null) await auth.revokeToken(found.token)
    return Response.json({ detail: 'Logged out' })
  })

  const routes: Record<string, FetchHandler> = {
    'POST /login': login,
    'GET /protected': protectedRoute,
    'GET /me': me,
    'POST /refresh': refresh,
    'POST /logout': logout,
  }

  return async (request) => {
    const route = routes[`${request.method} ${new URL(request.url).pathname}`]
    if (route === undefined) return Response.json({ detail: 'Not Found' }, { status: 404 })
    return route(request)
  }
}
