/**
 * Starts both services of the resource-server example in one process: the auth service (Fastify)
 * on port 8001 ($AUTH_PORT), publishing its JWK Set, and the orders API (Express) on port 8002
 * ($API_PORT), verifying with it. Then prints curl lines to try. In production they are separate
 * deployments; the API only needs the auth service's JWKS URL.
 */
import { once } from 'node:events'
import { buildAuthService } from './auth-service.ts'
import { signingKeysFromEnv } from './keys.ts'
import { buildOrdersAPI } from './orders-api.ts'

const host = process.env.HOST ?? '127.0.0.1'
const authPort = Number(process.env.AUTH_PORT ?? 8001)
const apiPort = Number(process.env.API_PORT ?? 8002)
const shown = host === '127.0.0.1' ? 'localhost' : host
const authBase = `http://${shown}:${authPort}`
const apiBase = `http://${shown}:${apiPort}`
const audience = 'orders-api'

const authService = await buildAuthService({
  keys: signingKeysFromEnv(),
  issuer: authBase,
  audience,
})
await authService.listen({ port: authPort, host })
console.log(
  `auth service (Fastify) listening on ${authBase}, publishing ${authBase}/.well-known/jwks.json`,
)

const { app, auth } = buildOrdersAPI({
  jwksUri: `${authBase}/.well-known/jwks.json`,
  issuer: authBase,
  audience,
})
// Not needed (the first request would fetch the keys), but a wrong URL or an auth service that
// is down shows here, at start-up, instead of as 503s.
await auth.ready()
const server = app.listen(apiPort, host)
await once(server, 'listening')
console.log(`orders API (Express) listening on ${apiBase}, verifying with that JWK Set`)

const login = (user: string) =>
  `curl -s -X POST ${authBase}/login -H 'content-type: application/json' -d '{"username":"${user}","password":"password${user.slice(-1)}"}'`
console.log(`
Try:
  curl -s ${authBase}/.well-known/jwks.json
  TOKEN=$(${login('user1')} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -s ${apiBase}/orders -H "Authorization: Bearer $TOKEN"
  curl -s -X POST ${apiBase}/orders -H "Authorization: Bearer $TOKEN"
  READER=$(${login('user2')} | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')
  curl -s -X POST ${apiBase}/orders -H "Authorization: Bearer $READER"   # 403: user2 may only read
  curl -s ${apiBase}/orders                                                # 401: no token
`)
