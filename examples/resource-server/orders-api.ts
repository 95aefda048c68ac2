/**
 * The orders API: a resource server. It holds no key and no secret; it verifies tokens with the
 * auth service's published JWK Set (`jwksUri`), fetched once and cached, refetched when a token
 * names a key it has not seen (the auth service rotated), and kept while the auth service is down.
 */
import express from 'express'
import type { Express } from 'express'
import { AuthX } from 'authx-ts/express'

/** Where the API finds its keys and what its tokens must say. */
export interface OrdersAPIOptions {
  /** The auth service's JWKS endpoint. */
  jwksUri: string
  /** The auth service's issuer name. */
  issuer: string
  /** This API's name in the tokens' `aud`. */
  audience: string
}

/** The API and its AuthX instance (`auth.ready()` loads the keys before the first request). */
export interface OrdersAPI {
  app: Express
  auth: AuthX
}

/** Builds the orders API. */
export function buildOrdersAPI(options: OrdersAPIOptions): OrdersAPI {
  const app = express()
  const auth = new AuthX({
    jwksUri: options.jwksUri,
    decodeIssuer: options.issuer,
    decodeAudience: options.audience,
    tokenLocation: ['headers'],
  })
  const orders: { id: number; owner: string; item: string }[] = [
    { id: 1, owner: 'user1', item: 'coffee beans' },
    { id: 2, owner: 'user2', item: 'tea' },
  ]

  app.get('/orders', auth.scopesRequired(['orders:read']), (req, res) => {
    const { sub } = auth.payload(req)
    res.json(orders.filter((order) => order.owner === sub))
  })

  app.post('/orders', auth.scopesRequired(['orders:write']), (req, res) => {
    const order = { id: orders.length + 1, owner: auth.payload(req).sub, item: 'a new order' }
    orders.push(order)
    res.status(201).json(order)
  })

  // 401, 403 and, when the auth service never answered, 503 KeySetUnavailableError.
  auth.handleErrors(app)
  return { app, auth }
}
