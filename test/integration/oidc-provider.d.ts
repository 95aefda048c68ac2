/**
 * The part of node-oidc-provider's API the integration tests use. The package ships no type
 * declarations, and the community ones lag its major versions; these follow its documentation
 * (docs/README.md of panva/node-oidc-provider v9) for exactly what the tests call.
 */
declare module 'oidc-provider' {
  import type { Server } from 'node:http'

  /** A JSON Web Key Set of private signing keys. */
  export interface JWKS {
    keys: Record<string, unknown>[]
  }

  /** What `getResourceServerInfo` answers for a resource indicator. */
  export interface ResourceServer {
    scope: string
    audience?: string
    accessTokenFormat?: 'opaque' | 'jwt'
    accessTokenTTL?: number
    jwt?: { sign?: { alg?: string; kid?: string } }
  }

  /** A client's registered metadata. */
  export interface ClientMetadata {
    client_id: string
    client_secret?: string
    grant_types?: string[]
    redirect_uris?: string[]
    response_types?: string[]
    scope?: string
    id_token_signed_response_alg?: string
  }

  /** The provider's configuration (the members the tests set). */
  export interface Configuration {
    clients?: ClientMetadata[]
    jwks?: JWKS
    scopes?: string[]
    ttl?: Record<string, number>
    features?: {
      devInteractions?: { enabled: boolean }
      clientCredentials?: { enabled: boolean }
      resourceIndicators?: {
        enabled: boolean
        defaultResource?: (ctx: unknown, client: unknown, oneOf?: string[]) => string | undefined
        useGrantedResource?: (ctx: unknown, model: unknown) => boolean
        getResourceServerInfo?: (
          ctx: unknown,
          resourceIndicator: string,
          client: unknown,
        ) => ResourceServer | Promise<ResourceServer>
      }
    }
  }

  /** The Koa context, as far as a pre-processing middleware reads it. */
  export interface Context {
    path: string
    set(field: string, value: string): void
  }

  /** An OpenID provider: a Koa application. */
  export class Provider {
    constructor(issuer: string, configuration?: Configuration)
    readonly issuer: string
    use(middleware: (ctx: Context, next: () => Promise<void>) => Promise<void>): this
    listen(port: number, host: string): Server
  }

  export default Provider
}
