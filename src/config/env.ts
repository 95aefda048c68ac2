/**
 * `configFromEnv`: the `JWT_*` environment variables as options. The variable of an option is
 * derived from its name (`tokenLocation` is `JWT_TOKEN_LOCATION`), and how its text is read from
 * the option's kind in the table, so no option is listed here.
 */
import { BadConfigurationError } from '../errors.ts'
import type { AuthXOptions } from './options.ts'
import type { EnvParser } from './schema.ts'
import { isOptionName, KINDS, OPTION_ROWS } from './schema.ts'
import { fail } from './validators.ts'

const PREFIX = 'JWT_'

/**
 * The environment variable of an option: `JWT_` and the name in upper snake case.
 *
 * @param option - an option name, e.g. `cookieHttpOnly`
 * @returns its variable, e.g. `JWT_COOKIE_HTTP_ONLY`
 */
export function envName(option: string): string {
  return PREFIX + option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()
}

/**
 * The option of an environment variable: drop `JWT_`, camelCase the rest (any case).
 *
 * @param variable - a variable that starts with `JWT_`, e.g. `JWT_COOKIE_HTTP_ONLY`
 * @returns its option name, e.g. `cookieHttpOnly`
 */
export function optionName(variable: string): string {
  return variable
    .slice(PREFIX.length)
    .toLowerCase()
    .replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function parseList(raw: string): string[] {
  const trimmed = raw.trim()
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed)
    if (Array.isArray(parsed)) return parsed.map(String)
  }
  return trimmed
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

function parseBoolean(variable: string, raw: string): boolean {
  const value = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off'].includes(value)) return false
  return fail(variable, `expected true or false, got ${JSON.stringify(raw)}`)
}

/** One way of reading a variable, and its row in the docs' table of them. */
export interface EnvReader {
  /**
   * The option value of the variable's text; the constructor validates it later.
   *
   * @throws BadConfigurationError naming the variable, or any error, which `configFromEnv` turns
   * into one
   */
  parse(raw: string, variable: string): unknown
  /** The docs' Kind cell. */
  readonly kind: string
  /** The docs' Accepted values cell. */
  readonly accepted: string
  /** The docs' Options cell when it is not the list of options read this way. */
  readonly options?: string
}

/** Every reader, in the order of the docs' table. */
export const ENV_READERS = {
  list: {
    parse: (raw) => parseList(raw),
    kind: 'Lists',
    accepted: 'JSON (`["headers","cookies"]`) or comma-separated (`headers,cookies`)',
  },
  boolean: {
    parse: (raw, variable) => parseBoolean(variable, raw),
    kind: 'Booleans',
    accepted: '`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case)',
  },
  number: {
    // Not checked here: the constructor names the option when the result is not a number.
    parse: (raw) => (['', 'none', 'null'].includes(raw.trim().toLowerCase()) ? null : Number(raw)),
    kind: 'Numbers',
    accepted: 'a number; empty, `none` or `null` means `null`',
  },
  lifetime: {
    parse: (raw) =>
      ['none', 'null'].includes(raw.trim().toLowerCase())
        ? null
        : /^\d+(\.\d+)?$/.test(raw.trim())
          ? Number(raw)
          : raw,
    kind: 'Lifetimes',
    accepted: 'seconds (`900`), a duration (`15m`), or `none`/`null` for no `exp`',
  },
  audience: {
    parse: (raw) => (raw.includes(',') || raw.trim().startsWith('[') ? parseList(raw) : raw),
    kind: 'Audiences',
    accepted: 'one string, comma-separated, or a JSON list',
  },
  string: {
    parse: (raw) => raw,
    kind: 'Everything else',
    accepted: "the string as is (`JWT_HEADER_TYPE=` gives `''`)",
    options: 'keys, names, paths, `algorithm`, `headerType`, `implicitRefreshDeltatime`...',
  },
} satisfies Record<EnvParser, EnvReader>

/**
 * Reads the `JWT_*` environment variables into options (`JWT_SECRET_KEY` is `secretKey`,
 * `JWT_TOKEN_LOCATION` is `tokenLocation`...). Lists may be JSON or comma-separated; booleans
 * `true/false/1/0`; `none`/`null` for a nullable lifetime.
 *
 * @param env - the environment to read
 * @defaultValue env - `process.env`
 * @throws BadConfigurationError for a value that cannot be parsed
 *
 * @example Merge with code options
 * ```ts
 * const auth = new AuthX({ ...configFromEnv(), tokenLocation: ['headers', 'cookies'] })
 * ```
 */
export function configFromEnv(env: Record<string, string | undefined> = process.env): AuthXOptions {
  const options: Record<string, unknown> = {}
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(PREFIX) || raw === undefined) continue
    const name = optionName(variable)
    // A variable that names no option is not ours (`JWT_*` is a common prefix): left out, since
    // the constructor refuses option keys it does not know.
    if (!isOptionName(name)) continue
    // A code-only option keeps its text: the constructor refuses what cannot be a valid value.
    const parser = KINDS[OPTION_ROWS[name].kind].env
    try {
      options[name] = parser === null ? raw : ENV_READERS[parser].parse(raw, variable)
    } catch (error) {
      if (error instanceof BadConfigurationError) throw error
      fail(variable, `cannot parse ${JSON.stringify(raw)}`)
    }
  }
  return options
}
