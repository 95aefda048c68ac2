/**
 * OpenAPI security metadata, as AuthX adds to FastAPI's document: one scheme per location a
 * guard reads, and per operation one alternative per scheme. Non-enforcing: the guards enforce.
 */
import type { AuthXConfig } from '../config/index.ts'
import type { TokenLocation, TokenType } from '../types.ts'

/** An OpenAPI 3 security scheme object. */
export type SecurityScheme =
  | { type: 'http'; scheme: 'bearer'; bearerFormat: 'JWT' }
  | { type: 'apiKey'; in: 'header' | 'cookie' | 'query'; name: string }

/** An OpenAPI operation's `security` requirement list. */
export type SecurityRequirement = Record<string, string[]>

function headerScheme(config: AuthXConfig): [string, SecurityScheme] {
  if (
    config.headerName.toLowerCase() === 'authorization' &&
    config.headerType.toLowerCase() === 'bearer'
  ) {
    return ['AuthXBearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }]
  }
  return ['AuthXHeader', { type: 'apiKey', in: 'header', name: config.headerName }]
}

function schemeFor(
  config: AuthXConfig,
  location: TokenLocation,
  type: TokenType,
): [string, SecurityScheme] | undefined {
  switch (location) {
    case 'headers':
      return headerScheme(config)
    case 'cookies':
      return type === 'access'
        ? ['AuthXAccessCookie', { type: 'apiKey', in: 'cookie', name: config.accessCookieName }]
        : ['AuthXRefreshCookie', { type: 'apiKey', in: 'cookie', name: config.refreshCookieName }]
    case 'query':
      return ['AuthXQuery', { type: 'apiKey', in: 'query', name: config.queryStringName }]
    case 'json':
      return undefined // OpenAPI has no scheme for a token inside the body
  }
}

/**
 * The `components.securitySchemes` for every location and token type an instance can read.
 *
 * @param config - the instance's configuration
 */
export function securitySchemes(config: AuthXConfig): Record<string, SecurityScheme> {
  const schemes: Record<string, SecurityScheme> = {}
  for (const location of config.tokenLocation) {
    for (const type of ['access', 'refresh'] as const) {
      const entry = schemeFor(config, location, type)
      if (entry !== undefined) schemes[entry[0]] = entry[1]
    }
  }
  return schemes
}

/**
 * The `security` list of an operation guarded for `type` on `locations`.
 *
 * @param config - the instance's configuration
 * @param type - the token type the guard requires
 * @param locations - the guard's locations (default `tokenLocation`)
 */
export function operationSecurity(
  config: AuthXConfig,
  type: TokenType,
  locations: readonly TokenLocation[] = config.tokenLocation,
): SecurityRequirement[] {
  const names = new Set<string>()
  for (const location of locations) {
    const entry = schemeFor(config, location, type)
    if (entry !== undefined) names.add(entry[0])
  }
  return [...names].map((name) => ({ [name]: [] }))
}
