/**
 * One benchmark server, in its own process: `node --import tsx bench/http/server.ts <framework>
 * <variant>`. It serves `GET /protected` on 127.0.0.1 (an ephemeral port) and prints
 * `{"port":N}` once listening, or `{"error":"..."}` and exits 1 when the variant cannot run (an
 * adapter that does not exist yet, for instance).
 *
 * Variants, all answering `{"sub":"user-42"}` on success:
 * - `open`: no authentication (the framework's ceiling);
 * - `bare`: only the bare HMAC check with node:crypto, no claim checks (the limit for any JWT
 *   guard on this framework);
 * - `bare-async` (Fastify only, not in the default run): the same check in an `async` preHandler,
 *   to separate the cost of an async hook from the cost of verification;
 * - `authx`: the authx-ts guard (`auth.accessTokenRequired`, payload through `auth.payload`);
 * - `authx-cached`: the same with the verified-token cache on (when the option exists);
 * - `peer`: the framework's usual JWT plugin (@fastify/jwt, express-jwt, hono/jwt).
 */
import { createSecretKey } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type * as ExpressAdapter from '../../src/adapters/express.ts'
import type * as FastifyAdapter from '../../src/adapters/fastify.ts'
import type * as HonoAdapter from '../../src/adapters/hono.ts'
import { bareHmacVerify } from '../lib/bare.ts'
import { HMAC_SECRET, SUBJECT } from '../lib/fixtures.ts'
import { loadModule } from '../lib/library.ts'

/** The frameworks under test. */
export const FRAMEWORKS = ['fastify', 'express', 'hono'] as const
/** A framework under test. */
export type Framework = (typeof FRAMEWORKS)[number]
/** The route variants. */
export const VARIANTS = ['open', 'bare', 'bare-async', 'authx', 'authx-cached', 'peer'] as const
/** A route variant. */
export type Variant = (typeof VARIANTS)[number]

const SECRET_BYTES = Buffer.from(HMAC_SECRET)

/** The bare limit behind a Bearer header. Undefined when there is no valid token. */
function bareVerify(authorization: string | undefined): { sub: string } | undefined {
  if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined
  try {
    return bareHmacVerify(SECRET_BYTES, authorization.slice(7)) as { sub: string }
  } catch {
    return undefined
  }
}

const UNAUTHORIZED = { detail: 'Unauthorized' }

function authxOptions(variant: Variant): Record<string, unknown> {
  return variant === 'authx-cached'
    ? { secretKey: HMAC_SECRET, verifiedTokenCache: true }
    : { secretKey: HMAC_SECRET }
}

/**
 * The Fastify app of a variant, ready but not listening (for `app.inject`, in
 * `bench/profile/inject.ts`).
 *
 * @param variant - the route variant
 */
export async function fastifyApp(variant: Variant) {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  // Every variant uses a synchronous handler that returns its body, so the routes differ only
  // in their authentication hook.
  const ok = { sub: SUBJECT }
  switch (variant) {
    case 'open':
      app.get('/protected', () => ok)
      break
    case 'bare': {
      app.decorateRequest('benchUser', null)
      app.get(
        '/protected',
        {
          // The callback form: the cheapest hook Fastify has.
          preHandler: (request, reply, done) => {
            const claims = bareVerify(request.headers.authorization)
            if (claims === undefined) {
              void reply.code(401).send(UNAUTHORIZED)
              return
            }
            ;(request as unknown as { benchUser: unknown }).benchUser = claims
            done()
          },
        },
        (request) => ({
          sub: (request as unknown as { benchUser: { sub: string } }).benchUser.sub,
        }),
      )
      break
    }
    case 'bare-async': {
      app.decorateRequest('benchUser', null)
      app.get(
        '/protected',
        {
          preHandler: async (request, reply) => {
            const claims = bareVerify(request.headers.authorization)
            if (claims === undefined) return reply.code(401).send(UNAUTHORIZED)
            ;(request as unknown as { benchUser: unknown }).benchUser = claims
          },
        },
        (request) => ({
          sub: (request as unknown as { benchUser: { sub: string } }).benchUser.sub,
        }),
      )
      break
    }
    case 'authx':
    case 'authx-cached': {
      const { AuthX } = await loadModule<typeof FastifyAdapter>('adapters/fastify.ts')
      const auth = new AuthX(authxOptions(variant))
      app.get('/protected', { preHandler: auth.accessTokenRequired }, (request) => ({
        sub: auth.payload(request).sub,
      }))
      break
    }
    case 'peer': {
      const { default: fastifyJwt } = await import('@fastify/jwt')
      await app.register(fastifyJwt, { secret: HMAC_SECRET })
      app.get(
        '/protected',
        {
          onRequest: async (request) => {
            await request.jwtVerify()
          },
        },
        (request) => ({ sub: (request.user as { sub: string }).sub }),
      )
      break
    }
  }
  await app.ready()
  return app
}

async function fastifyServer(variant: Variant): Promise<number> {
  const app = await fastifyApp(variant)
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}

async function expressServer(variant: Variant): Promise<number> {
  const { default: express } = await import('express')
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  const ok = { sub: SUBJECT }
  switch (variant) {
    case 'open':
      app.get('/protected', (_req, res) => {
        res.json(ok)
      })
      break
    case 'bare-async':
      throw new Error('bare-async is a Fastify experiment')
    case 'bare':
      app.get(
        '/protected',
        (req, res, next) => {
          const claims = bareVerify(req.headers.authorization)
          if (claims === undefined) {
            res.status(401).json(UNAUTHORIZED)
            return
          }
          ;(req as unknown as { benchUser: unknown }).benchUser = claims
          next()
        },
        (req, res) => {
          res.json({ sub: (req as unknown as { benchUser: { sub: string } }).benchUser.sub })
        },
      )
      break
    case 'authx':
    case 'authx-cached': {
      const { AuthX } = await loadModule<typeof ExpressAdapter>('adapters/express.ts')
      const auth = new AuthX(authxOptions(variant))
      app.get('/protected', auth.accessTokenRequired, (req, res) => {
        res.json({ sub: auth.payload(req).sub })
      })
      break
    }
    case 'peer': {
      const { expressjwt } = await import('express-jwt')
      // A KeyObject, not the string: given a string, jsonwebtoken probes it with createPublicKey
      // on every request, which would make express-jwt look several times slower than it can be.
      const secret = createSecretKey(SECRET_BYTES)
      app.get('/protected', expressjwt({ secret, algorithms: ['HS256'] }), (req, res) => {
        res.json({ sub: (req as unknown as { auth: { sub: string } }).auth.sub })
      })
      app.use(
        (
          error: { status?: number },
          _req: unknown,
          res: { status: (n: number) => { json: (b: unknown) => void } },
          _next: unknown,
        ) => {
          res.status(error.status ?? 500).json(UNAUTHORIZED)
        },
      )
      break
    }
  }
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => {
      if (error) reject(error)
      else resolve((server.address() as AddressInfo).port)
    })
  })
}

async function honoServer(variant: Variant): Promise<number> {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const ok = { sub: SUBJECT }
  const app = new Hono<{ Variables: { benchUser: { sub: string }; jwtPayload: { sub: string } } }>()
  switch (variant) {
    case 'open':
      app.get('/protected', (c) => c.json(ok))
      break
    case 'bare-async':
      throw new Error('bare-async is a Fastify experiment')
    case 'bare':
      app.get(
        '/protected',
        async (c, next) => {
          const claims = bareVerify(c.req.header('authorization'))
          if (claims === undefined) return c.json(UNAUTHORIZED, 401)
          c.set('benchUser', claims)
          await next()
        },
        (c) => c.json({ sub: c.get('benchUser').sub }),
      )
      break
    case 'authx':
    case 'authx-cached': {
      const { AuthX } = await loadModule<typeof HonoAdapter>('adapters/hono.ts')
      const auth = new AuthX(authxOptions(variant))
      app.get('/protected', auth.accessTokenRequired, (c) => c.json({ sub: auth.payload(c).sub }))
      break
    }
    case 'peer': {
      const { jwt } = await import('hono/jwt')
      app.get('/protected', jwt({ secret: HMAC_SECRET, alg: 'HS256' }), (c) =>
        c.json({ sub: c.get('jwtPayload').sub }),
      )
      break
    }
  }
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port))
  })
}

/**
 * Starts one server.
 *
 * @param framework - which framework
 * @param variant - which route
 * @returns the port
 */
export async function startServer(framework: Framework, variant: Variant): Promise<number> {
  switch (framework) {
    case 'fastify':
      return fastifyServer(variant)
    case 'express':
      return expressServer(variant)
    case 'hono':
      return honoServer(variant)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [framework, variant] = process.argv.slice(2) as [Framework, Variant]
  try {
    if (!FRAMEWORKS.includes(framework) || !VARIANTS.includes(variant))
      throw new Error(`unknown framework/variant ${framework}/${variant}`)
    const port = await startServer(framework, variant)
    process.stdout.write(`${JSON.stringify({ port })}\n`)
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).message.split('\n')[0] })}\n`)
    process.exit(1)
  }
}
