/**
 * The auth service: checks a user's password and issues access tokens signed with its private
 * keys, and publishes the public halves at `/.well-known/jwks.json` for every API that verifies
 * them. It is the only service that holds a private key.
 */
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import type { JWKSet } from 'authx-ts'
import { AuthX } from 'authx-ts/fastify'
import { createUserDatabase } from '../shared/users.ts'

/** What the auth service needs to know. */
export interface AuthServiceOptions {
  /** Its private signing keys; the first one with a private part signs. */
  keys: JWKSet
  /** Its name in the tokens (`iss`): the APIs trust tokens of this issuer only. */
  issuer: string
  /** The API its tokens are for (`aud`). */
  audience: string
}

/** What each sample user may do at the orders API. */
const SCOPES: Readonly<Record<string, readonly string[]>> = {
  user1: ['orders:read', 'orders:write'],
  user2: ['orders:read'],
}

/** Lifetime of an access token, in seconds. */
const ACCESS_TOKEN_SECONDS = 15 * 60

/** Builds the auth service. */
export async function buildAuthService(options: AuthServiceOptions): Promise<FastifyInstance> {
  const app = Fastify()
  const users = await createUserDatabase()
  const auth = new AuthX({
    keys: options.keys,
    encodeIssuer: options.issuer,
    encodeAudience: options.audience,
    accessTokenExpires: ACCESS_TOKEN_SECONDS,
    tokenLocation: ['headers'],
  })
  auth.handleErrors(app)

  // The public keys, with Cache-Control and an ETag: APIs fetch them once and keep them.
  app.get('/.well-known/jwks.json', auth.jwksHandler)

  const credentials = {
    type: 'object',
    required: ['username', 'password'],
    properties: { username: { type: 'string' }, password: { type: 'string' } },
  } as const
  app.post('/login', { schema: { body: credentials } }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string }
    const user = await users.checkCredentials(username, password)
    if (user === undefined) return reply.code(401).send({ detail: 'Invalid credentials' })
    void reply.header('cache-control', 'no-store')
    return {
      access_token: auth.createAccessToken(user.username, { scopes: SCOPES[user.username] ?? [] }),
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
    }
  })
  return app
}
