/**
 * `authx-ts keygen`: a new HMAC secret, or a new key pair for any asymmetric algorithm, as PEM or
 * JWK, with its `kid` (by default the RFC 7638 thumbprint of the public key). The private and the
 * public part are printed apart, or written to two files, the private one readable by its owner
 * only.
 *
 * @packageDocumentation
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { thumbprint } from '../token/jwk.ts'
import { ALGORITHMS, ALGORITHM_SPECS, generateKeyPair } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { algorithmValue, stringValue } from './args.ts'
import type { Command, OptionValues } from './args.ts'
import { EXIT_OK, UsageError, json } from './io.ts'
import type { CommandIO } from './io.ts'

/** The least RSA modulus the library accepts (and the default). */
const MIN_RSA_BITS = 2048
/** The largest modulus worth waiting for. */
const MAX_RSA_BITS = 16384

const HELP = `
Usage: authx-ts keygen [--alg ALG] [--format pem|jwk] [--kid KID] [--bits N] [--out BASE]
       authx-ts keygen --secret [--alg HS256|HS384|HS512] [--format text|jwk] [--out BASE]

Generates a key for signing tokens.

  --alg ALG        ${ALGORITHMS.join(', ')}
                   (default EdDSA; HS256 with --secret)
  --secret         an HMAC secret: random bytes as long as the hash output, printed base64url
                   (also fit for keyRing's encryptionKey / JWT_KEY_ENCRYPTION_KEY)
  --format FORMAT  pem (default): a private and a public PEM block, after the kid and alg
                   jwk: JSON { kid, alg, privateKey, publicKey }, each a JWK with kid, alg, use
                   for a secret: text (default), the secret alone; jwk, an "oct" JWK
  --kid KID        the key id (default: the RFC 7638 thumbprint of the public key)
  --bits N         RSA modulus size for RS* and PS* (default 2048, at least 2048)
  --out BASE       write BASE.private.pem and BASE.public.pem (BASE.private.jwk.json and
                   BASE.public.jwk.json with --format jwk; BASE.secret or BASE.jwk.json for a
                   secret) instead of printing; private files are created mode 600, existing
                   files are never overwritten

Examples:
  authx-ts keygen --alg ES256 --out signing
  authx-ts keygen --alg RS256 --bits 3072 --format jwk
  authx-ts keygen --secret --alg HS512
`

/** A generated key pair, in PEM. */
interface PEMPair {
  readonly privateKey: string
  readonly publicKey: string
}

function generatePair(alg: Algorithm, bits: number): PEMPair {
  const { privateKey, publicKey } = generateKeyPair(alg, bits)
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  }
}

function bitsOption(values: OptionValues, alg: Algorithm): number {
  const given = stringValue(values, 'bits')
  const family = ALGORITHM_SPECS[alg].family
  if (given === undefined) return MIN_RSA_BITS
  if (family !== 'rsa' && family !== 'pss') {
    throw new UsageError(`--bits applies to RS* and PS* keys only, not ${alg}`)
  }
  const bits = Number(given)
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS || bits % 8 !== 0) {
    throw new UsageError(
      `--bits ${given}: expected a multiple of 8 from ${MIN_RSA_BITS} to ${MAX_RSA_BITS}`,
    )
  }
  return bits
}

function formatOption(values: OptionValues, secret: boolean): 'pem' | 'jwk' | 'text' {
  const format = stringValue(values, 'format') ?? (secret ? 'text' : 'pem')
  const allowed = secret ? ['text', 'jwk'] : ['pem', 'jwk']
  if (!allowed.includes(format)) {
    throw new UsageError(`--format ${format}: expected ${allowed.join(' or ')}`)
  }
  return format as 'pem' | 'jwk' | 'text'
}

/** Writes a new file, never over an existing one; `private` ones readable by their owner only. */
async function writeNew(path: string, text: string, secret: boolean): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx', mode: secret ? 0o600 : 0o644 })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'EEXIST') throw new UsageError(`${path} exists; keygen never overwrites a key`)
    throw new UsageError(`cannot write ${path}: ${typeof code === 'string' ? code : 'failed'}`)
  }
}

async function secretCommand(values: OptionValues, alg: Algorithm, io: CommandIO): Promise<number> {
  const format = formatOption(values, true)
  const bytes = randomBytes(ALGORITHM_SPECS[alg].hashBytes)
  const out = stringValue(values, 'out')
  let text: string
  if (format === 'text') {
    if (stringValue(values, 'kid') !== undefined) {
      throw new UsageError(
        '--kid needs --format jwk for a secret (a bare secret has nowhere to keep it)',
      )
    }
    // A string secret is used as its UTF-8 bytes: these base64url characters carry the bytes'
    // entropy and are more than the hash output long.
    text = `${bytes.toString('base64url')}\n`
  } else {
    const k = bytes.toString('base64url')
    const kid = stringValue(values, 'kid') ?? secretThumbprint(k)
    text = json({ kty: 'oct', k, kid, alg, use: 'sig' })
  }
  if (out === undefined) {
    io.out(text)
    return EXIT_OK
  }
  const path = `${out}.${format === 'text' ? 'secret' : 'jwk.json'}`
  await writeNew(path, text, true)
  io.out(`alg: ${alg}\nsecret: ${path}\n`)
  return EXIT_OK
}

/** RFC 7638 section 3.2: the thumbprint of an `oct` key covers `k` and `kty`. */
function secretThumbprint(k: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ k, kty: 'oct' }))
    .digest('base64url')
}

async function run(
  values: OptionValues,
  _positionals: readonly string[],
  io: CommandIO,
): Promise<number> {
  const secret = values.secret === true
  const alg = algorithmValue(values, ALGORITHMS) ?? (secret ? 'HS256' : 'EdDSA')
  const hmac = ALGORITHM_SPECS[alg].family === 'hmac'
  if (secret && !hmac) throw new UsageError(`--secret makes HMAC secrets; ${alg} needs a key pair`)
  if (hmac) {
    if (values.bits !== undefined)
      throw new UsageError(`--bits applies to RS* and PS* keys only, not ${alg}`)
    return secretCommand(values, alg, io)
  }
  const format = formatOption(values, false)
  const pair = generatePair(alg, bitsOption(values, alg))
  const kid = stringValue(values, 'kid') ?? thumbprint(createPublicKey(pair.publicKey))
  if (kid === '') throw new UsageError('--kid: expected a non-empty key id')
  const members = { kid, alg, use: 'sig' }
  const privateJwk = { ...createPrivateKey(pair.privateKey).export({ format: 'jwk' }), ...members }
  const publicJwk = { ...createPublicKey(pair.publicKey).export({ format: 'jwk' }), ...members }
  // A PEM has no place for a kid: it goes on lines ahead of the block, which PEM readers skip
  // (Node, OpenSSL) and `authx-ts jwks` and `verify --key` read back.
  const preamble = `kid: ${kid}\nalg: ${alg}\n\n`
  const privateText = format === 'jwk' ? json(privateJwk) : preamble + pair.privateKey
  const publicText = format === 'jwk' ? json(publicJwk) : preamble + pair.publicKey
  const out = stringValue(values, 'out')
  if (out === undefined) {
    io.out(
      format === 'jwk'
        ? json({ kid, alg, privateKey: privateJwk, publicKey: publicJwk })
        : `${preamble}${pair.privateKey}\n${pair.publicKey}`,
    )
    return EXIT_OK
  }
  const extension = format === 'jwk' ? 'jwk.json' : 'pem'
  const privatePath = `${out}.private.${extension}`
  const publicPath = `${out}.public.${extension}`
  await writeNew(privatePath, privateText, true)
  await writeNew(publicPath, publicText, false)
  io.out(`kid: ${kid}\nalg: ${alg}\nprivate key: ${privatePath}\npublic key: ${publicPath}\n`)
  return EXIT_OK
}

/** `authx-ts keygen`. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'generate an HMAC secret or a key pair (PEM or JWK, with kid)',
  help: HELP,
  options: {
    alg: { type: 'string' },
    secret: { type: 'boolean' },
    format: { type: 'string' },
    kid: { type: 'string' },
    bits: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: false,
  run,
}
