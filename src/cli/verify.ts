/**
 * `authx-ts verify`: checks a token the way an instance would (signature, algorithm, `exp`,
 * `nbf`, audience, issuer) with a secret, a key file or a JWK Set URL, through `new AuthX`, and
 * prints the verified claims, or the error type and message of the failure.
 *
 * @packageDocumentation
 */
import { createPublicKey } from 'node:crypto'
import type { JsonWebKey } from 'node:crypto'
import { AuthX } from '../authx.ts'
import type { AuthXOptions } from '../config/index.ts'
import { BadConfigurationError, isAuthXError } from '../errors.ts'
import { thumbprint } from '../token/jwk.ts'
import { ALGORITHMS, ALGORITHM_SPECS, isAlgorithm } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { algorithmValue, atMostOne, stringValue, stringValues } from './args.ts'
import type { Command, OptionValues } from './args.ts'
import { EXIT_FAILURE, EXIT_OK, UsageError, json, readText, readToken } from './io.ts'
import type { CommandIO } from './io.ts'
import { algorithmOf, fitsKey, parseKeys, publicHalf } from './key-input.ts'
import type { InputKey } from './key-input.ts'
import { decodeParts, timeDates, timeLines } from './token-view.ts'

const HELP = `
Usage: authx-ts verify [TOKEN | -] (--secret S | --secret-file FILE | --key FILE | --jwks URL)
                       [--alg ALG] [--aud AUD]... [--iss ISS]... [--type access|refresh]
                       [--leeway SECONDS] [--json]

Verifies a token as an authx-ts instance would: signature, algorithm, exp and nbf, and the
audience and issuer when given. Prints the verified claims; on failure, the error type and its
message (TokenExpiredError: Token has expired). The token is read from standard input when it is
"-" or absent; a leading "Bearer " is ignored.

  --secret S         the HMAC secret (visible to other users in the process list: prefer
                     --secret-file)
  --secret-file FILE the HMAC secret, read from a file (trailing newline dropped)
  --key FILE         a PEM (public or private key, certificate), a JWK or a JWK Set; "-" for stdin
  --jwks URL         a JWK Set URL (https, or http on loopback), as the jwksUri option
  --alg ALG          the algorithm the key is used with; by default the one the key implies (its
                     JWK alg, its curve), else the token's own when the key fits it (RSA, secrets)
  --aud AUD          an accepted audience (repeat for several); a token with an aud claim
                     needs one, as on an instance
  --iss ISS          an accepted issuer (repeat for several)
  --type TYPE        also require the token's type claim: access or refresh
  --leeway SECONDS   clock skew allowed on exp and nbf (default 0)
  --json             { valid, header, claims, dates } or { valid: false, error_type, detail }

Exit codes: 0 verified, 1 not verified, 2 misuse (no key, an unreadable key file).
`

/** The key options of `new AuthX` for a key file. */
function keyFileOptions(
  keys: readonly InputKey[],
  flag: Algorithm | undefined,
  header: Algorithm | undefined,
): AuthXOptions {
  const resolve = (input: InputKey): Algorithm => {
    const alg =
      algorithmOf(input, flag) ??
      (header !== undefined && fitsKey(input.key, header) ? header : undefined)
    if (alg === undefined) {
      const kind = input.key.type === 'secret' ? 'a secret' : 'an RSA key'
      throw new UsageError(`${input.source}: ${kind} can serve several algorithms; pass --alg`)
    }
    return alg
  }
  if (keys.length === 1) {
    const input = keys[0] as InputKey
    const algorithm = resolve(input)
    const key =
      input.key.type === 'secret'
        ? { secretKey: input.key.export() }
        : { publicKey: publicHalf(input.key) }
    return { algorithm, ...key, ...(input.kid === undefined ? {} : { keyId: input.kid }) }
  }
  // Several keys: a JWK Set of their public halves, each under its kid (or thumbprint).
  const set = keys.map((input) => {
    const alg = resolve(input)
    if (input.key.type === 'secret') {
      throw new UsageError(`${input.source}: a set of several keys verifies with public keys only`)
    }
    const pub = publicHalf(input.key)
    const jwk = createPublicKey(pub.export({ type: 'spki', format: 'pem' })).export({
      format: 'jwk',
    })
    return { ...(jwk as JsonWebKey & { kty: string }), kid: input.kid ?? thumbprint(pub), alg }
  })
  return { keys: { keys: set } }
}

async function secretFrom(values: OptionValues, io: CommandIO): Promise<string | undefined> {
  const inline = stringValue(values, 'secret')
  if (inline !== undefined) return inline
  const file = stringValue(values, 'secret-file')
  if (file === undefined) return undefined
  return (await readText(file, io)).replace(/\r?\n$/, '')
}

async function authOptions(
  values: OptionValues,
  io: CommandIO,
  header: Algorithm | undefined,
): Promise<AuthXOptions> {
  atMostOne(values, ['secret', 'secret-file', 'key', 'jwks'])
  const flag = algorithmValue(values, ALGORITHMS)
  const leeway = stringValue(values, 'leeway')
  const common: AuthXOptions = {}
  if (leeway !== undefined) {
    const seconds = Number(leeway)
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new UsageError(`--leeway ${leeway}: expected a number of seconds`)
    common.decodeLeeway = seconds
  }
  const secret = await secretFrom(values, io)
  if (secret !== undefined) {
    const hmac =
      header !== undefined && ALGORITHM_SPECS[header].family === 'hmac' ? header : 'HS256'
    return { ...common, secretKey: secret, algorithm: flag ?? hmac }
  }
  const keyFile = stringValue(values, 'key')
  if (keyFile !== undefined) {
    return {
      ...common,
      ...keyFileOptions(parseKeys(await readText(keyFile, io), keyFile), flag, header),
    }
  }
  const jwksUri = stringValue(values, 'jwks')
  if (jwksUri !== undefined) {
    return { ...common, jwksUri, ...(flag === undefined ? {} : { decodeAlgorithms: [flag] }) }
  }
  throw new UsageError(
    'no key: pass --secret, --secret-file, --key or --jwks (see authx-ts verify --help)',
  )
}

async function run(
  values: OptionValues,
  positionals: readonly string[],
  io: CommandIO,
): Promise<number> {
  const fromStdin = (value: string | undefined): boolean => value === undefined || value === '-'
  if (['key', 'secret-file'].some((o) => values[o] === '-') && fromStdin(positionals[0])) {
    throw new UsageError('the key and the token cannot both come from standard input')
  }
  const token = await readToken(positionals, io)
  const type = stringValue(values, 'type')
  if (type !== undefined && type !== 'access' && type !== 'refresh') {
    throw new UsageError(`--type ${type}: expected access or refresh`)
  }
  // The header only picks among the algorithms a key fits (an RSA key or a secret); it can never
  // make a key serve another family. A malformed token has no header to read: the verifier then
  // reports it, as it would to a request.
  let header: Algorithm | undefined
  try {
    const alg = decodeParts(token).header.alg
    header = isAlgorithm(alg) ? alg : undefined
  } catch {
    header = undefined
  }
  let auth: AuthX
  try {
    auth = new AuthX(await authOptions(values, io, header))
  } catch (error) {
    if (error instanceof BadConfigurationError) throw new UsageError(error.message)
    throw error
  }
  const audience = stringValues(values, 'aud')
  const issuer = stringValues(values, 'iss')
  try {
    const payload = await auth.verifyToken(token, {
      verifyType: type !== undefined,
      ...(type === undefined ? {} : { type }),
      verifyCsrf: false,
      ...(audience.length === 0 ? {} : { audience }),
      ...(issuer.length === 0 ? {} : { issuer }),
    })
    const { header: verifiedHeader } = decodeParts(token)
    const claims = payload.toJSON() as Record<string, unknown>
    if (values.json === true) {
      io.out(json({ valid: true, header: verifiedHeader, claims, dates: timeDates(claims) }))
    } else {
      const kid = typeof verifiedHeader.kid === 'string' ? `, kid ${verifiedHeader.kid}` : ''
      const times = timeLines(claims, Date.now() / 1000)
      io.out(
        [
          `VERIFIED (${String(verifiedHeader.alg)}${kid})`,
          '',
          'Claims:',
          json(claims),
          ...(times.length > 0 ? ['Times (UTC):', ...times, ''] : []),
        ].join('\n'),
      )
    }
    return EXIT_OK
  } catch (error) {
    if (!isAuthXError(error)) throw error
    if (values.json === true) {
      io.out(json({ valid: false, error_type: error.name, detail: error.message }))
    } else {
      io.err(`${error.name}: ${error.message}\n`)
    }
    return EXIT_FAILURE
  }
}

/** `authx-ts verify`. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a token with a secret, a key file or a JWK Set URL',
  help: HELP,
  options: {
    secret: { type: 'string' },
    'secret-file': { type: 'string' },
    key: { type: 'string' },
    jwks: { type: 'string' },
    alg: { type: 'string' },
    aud: { type: 'string', multiple: true },
    iss: { type: 'string', multiple: true },
    type: { type: 'string' },
    leeway: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
  run,
}
