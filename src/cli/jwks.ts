/**
 * `authx-ts jwks`: the public JWK Set of keys given as files, or of a key ring in Redis. Only
 * public members are ever printed, whatever the input held. A ring's public keys are stored in
 * clear, so printing them needs no encryption key and writes nothing to the store.
 *
 * @packageDocumentation
 */
import { createPublicKey } from 'node:crypto'
import { BadConfigurationError } from '../errors.ts'
import { publishedJWK } from '../token/jwk.ts'
import type { PublishedJWK } from '../token/jwk.ts'
import { ALGORITHMS, bindKey, importVerifyKey } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { algorithmValue, stringValue } from './args.ts'
import type { Command, OptionValues } from './args.ts'
import { CommandFailure, EXIT_OK, UsageError, json, readText } from './io.ts'
import type { CommandIO } from './io.ts'
import { algorithmOf, parseKeys, publicHalf } from './key-input.ts'
import type { InputKey } from './key-input.ts'
import { currentKey, readRingDocument } from './ring-document.ts'
import type { StoredRingKey } from './ring-document.ts'
import { RING_OPTIONS, describeRing, ringLocation, withRedisStore } from './redis.ts'

const HELP = `
Usage: authx-ts jwks [FILE | -]... [--alg ALG] [--kid KID]
       authx-ts jwks --redis URL [--ring NAME] [--prefix PREFIX]

Prints the public JWK Set ({ "keys": [...] }) to publish for the given keys: each key's public
members with kid, alg and use "sig". Private keys are accepted; their private members are never
printed. HMAC secrets are never published.

  FILE             a PEM (private or public key, certificate), a JWK, a JWK Set, or keygen's
                   output; "-" or no file reads standard input
  --alg ALG        the algorithm of keys that do not imply one (RSA keys: RS256 ... PS512)
  --kid KID        the key id, for one key (default: its JWK kid, else its RFC 7638 thumbprint)
  --redis URL      print the key ring stored in this Redis instead (redis:// or rediss://)
  --ring NAME      the ring's name, keyRing.name (default "default")
  --prefix PREFIX  the RedisStore key prefix the application uses (default "authx:")

A ring is read as stored, without its encryption key: current key first, then the next one, then
those still retiring.

Exit codes: 0 printed, 1 no ring or Redis unreachable, 2 misuse or a file without a usable key.
`

function published(
  input: InputKey,
  flag: Algorithm | undefined,
  kid: string | undefined,
): PublishedJWK {
  if (input.key.type === 'secret') {
    throw new UsageError(`${input.source}: an HMAC secret is never published`)
  }
  const alg = algorithmOf(input, flag)
  if (alg === undefined) {
    throw new UsageError(`${input.source}: an RSA key can serve RS256 to PS512; pass --alg`)
  }
  let key
  try {
    // The verifier's own checks: size, curve, and a key that fits the algorithm.
    key = importVerifyKey(publicHalf(input.key), alg, input.source)
  } catch (error) {
    if (error instanceof BadConfigurationError) throw new UsageError(error.message)
    throw error
  }
  return publishedJWK(bindKey(key, alg, kid ?? input.kid))
}

async function fromFiles(
  values: OptionValues,
  files: readonly string[],
  io: CommandIO,
): Promise<PublishedJWK[]> {
  const flag = algorithmValue(values, ALGORITHMS)
  const keys: InputKey[] = []
  for (const file of files.length === 0 ? ['-'] : files) {
    keys.push(...parseKeys(await readText(file, io), file === '-' ? 'standard input' : file))
  }
  const kid = stringValue(values, 'kid')
  if (kid !== undefined && keys.length !== 1) {
    throw new UsageError(`--kid names one key; the input holds ${keys.length}`)
  }
  const set = keys.map((input) => published(input, flag, kid))
  const kids = set.map((jwk) => jwk.kid)
  const repeated = kids.find((k, i) => kids.indexOf(k) !== i)
  if (repeated !== undefined) throw new UsageError(`kid ${repeated} appears twice`)
  return set
}

/** The ring's keys as published: current first, then the next one, then those retiring. */
function fromRing(keys: readonly StoredRingKey[], now: number): PublishedJWK[] {
  const current = currentKey(keys, now)
  const others = keys.filter((k) => k !== current).reverse()
  return [current, ...others].map((entry) =>
    publishedJWK(
      bindKey(createPublicKey({ key: entry.publicJwk, format: 'jwk' }), entry.alg, entry.kid),
    ),
  )
}

async function run(
  values: OptionValues,
  positionals: readonly string[],
  io: CommandIO,
): Promise<number> {
  if (values.redis === undefined) {
    if (values.ring !== undefined || values.prefix !== undefined) {
      throw new UsageError('--ring and --prefix go with --redis')
    }
    io.out(json({ keys: await fromFiles(values, positionals, io) }))
    return EXIT_OK
  }
  if (positionals.length > 0 || values.alg !== undefined || values.kid !== undefined) {
    throw new UsageError('--redis prints a stored ring: it takes no files, --alg or --kid')
  }
  const location = ringLocation(values)
  const where = describeRing(location)
  const keys = await withRedisStore(location, async (store) => {
    const stored = await store.getKeyRing(location.name)
    if (stored === null) throw new CommandFailure(`no ${where}`)
    return fromRing(readRingDocument(stored.document, where), Date.now() / 1000)
  })
  io.out(json({ keys }))
  return EXIT_OK
}

/** `authx-ts jwks`. */
export const jwksCommand: Command = {
  name: 'jwks',
  summary: 'print the public JWK Set of key files or of a key ring in Redis',
  help: HELP,
  options: { alg: { type: 'string' }, kid: { type: 'string' }, ...RING_OPTIONS },
  positionals: true,
  run,
}
