/**
 * A real OpenID provider for the integration tests: node-oidc-provider, in this process, on a
 * loopback port. One confidential client may use the client-credentials grant, and every
 * resource indicator the test names gets JWT access tokens (RFC 9068) with the scopes `read` and
 * `write`. The provider can be stopped and started again on the same port and issuer with other
 * signing keys, which is how an identity provider rotates its keys.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import { once } from 'node:events'
import type { Server } from 'node:http'
import { Provider } from 'oidc-provider'
import type { Configuration } from 'oidc-provider'

/** The client allowed the client-credentials grant. */
export const CLIENT_ID = 'reporting-job'
const CLIENT_SECRET = 'a-client-secret-only-these-tests-know'

/** Every scope a resource server of these tests knows. */
export const SCOPES = ['read', 'write'] as const

/** How long the provider's access tokens live, in seconds: longer than any clock a test moves. */
export const ACCESS_TOKEN_TTL = 3600

/** A private signing key in JWK form. */
export type SigningJWK = JsonWebKey & { kid: string; alg?: string }

/** The algorithms the tests' providers sign with. */
export type SigningAlgorithm = 'ES256' | 'RS256'

/**
 * A new signing key.
 *
 * @param kid - its key id
 * @param alg - ES256 (P-256) or RS256 (2048-bit RSA)
 * @param withAlg - whether the JWK names its `alg` (Entra ID publishes RSA keys without it)
 */
export function newSigningKey(
  kid: string,
  alg: SigningAlgorithm = 'ES256',
  withAlg = true,
): SigningJWK {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = privateKey.export({ format: 'jwk' })
  return withAlg ? { ...jwk, kid, alg, use: 'sig' } : { ...jwk, kid, use: 'sig' }
}

/** A running provider. */
export interface IdentityProvider {
  /** Its issuer identifier, `http://127.0.0.1:<port>`. */
  readonly issuer: string
  /** Its port. */
  readonly port: number
  /** Its `jwks_uri`. */
  readonly jwksUri: string
  /** How many times its JWK Set has been requested since it started. */
  readonly jwksRequests: () => number
  /**
   * Asks the token endpoint, over HTTP, for an access token (client credentials).
   *
   * @param resource - the resource indicator (RFC 8707), which becomes the token's `aud`
   * @param scope - the scopes asked for, space-separated
   */
  readonly accessToken: (resource: string, scope: string) => Promise<string>
  /** Stops listening and closes every connection. */
  readonly stop: () => Promise<void>
}

/** What to start. */
export interface IdentityProviderOptions {
  /** The port (from `freePort()`): the issuer names it, and a restart uses the same one again. */
  readonly port: number
  /** The signing keys: the first one signs, the others are only published. */
  readonly keys: readonly SigningJWK[]
  /** The resource indicators it issues tokens for. */
  readonly resources: readonly string[]
  /** The algorithm of its access tokens and ID tokens. @defaultValue 'ES256' */
  readonly alg?: SigningAlgorithm
}

function configuration(options: IdentityProviderOptions): Configuration {
  const resources = new Set(options.resources)
  const alg = options.alg ?? 'ES256'
  return {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: SCOPES.join(' '),
        // The client's ID token algorithm must be one the provider has a key for.
        id_token_signed_response_alg: alg,
      },
    ],
    jwks: { keys: options.keys.map((key) => ({ ...key })) },
    scopes: [...SCOPES],
    ttl: { ClientCredentials: ACCESS_TOKEN_TTL },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // A request without `resource` gets no token rather than a token for some default API.
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (!resources.has(resourceIndicator)) {
            throw new Error(`unknown resource ${resourceIndicator}`)
          }
          return {
            scope: SCOPES.join(' '),
            audience: resourceIndicator,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ACCESS_TOKEN_TTL,
            jwt: { sign: { alg } },
          }
        },
      },
    },
  }
}

/**
 * Starts a provider on 127.0.0.1 and resolves once it listens.
 *
 * @param options - port, keys and resources
 */
export async function startIdentityProvider(
  options: IdentityProviderOptions,
): Promise<IdentityProvider> {
  let server: Server | undefined
  const { port } = options
  const issuer = `http://127.0.0.1:${port}`
  const provider = new Provider(issuer, configuration(options))
  let jwksRequests = 0
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') jwksRequests += 1
    // No keep-alive: a client's pooled connection to a stopped provider would otherwise be
    // reused for the first request to its restarted successor, moments later, and fail.
    ctx.set('connection', 'close')
    await next()
  })
  server = provider.listen(port, '127.0.0.1')
  await once(server, 'listening')

  const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')
  return {
    issuer,
    port,
    jwksUri: `${issuer}/jwks`,
    jwksRequests: () => jwksRequests,
    accessToken: async (resource, scope) => {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
      })
      const body = (await response.json()) as Record<string, unknown>
      if (response.status !== 200 || typeof body.access_token !== 'string') {
        throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`)
      }
      return body.access_token
    },
    stop: async () => {
      if (server === undefined) return
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
      server = undefined
    },
  }
}
