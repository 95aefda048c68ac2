/**
 * Public material as an HMAC secret, in every encoding: a public key, a certificate, a JWK Set or
 * an SSH public key given as `secretKey` or `previousSecretKey` is the set-up of algorithm
 * confusion (CVE-2015-9235, jsonwebtoken CVE-2022-23541, fast-jwt GHSA-mvf2-f6gm-w987): whoever
 * holds the public key can sign tokens. Every such secret is refused at construction with a
 * `BadConfigurationError` naming the option (RFC 8725 section 3.1 and 3.2), while random secrets
 * written as hex or base64 (`openssl rand -hex 32`) are accepted.
 */
import assert from 'node:assert/strict'
import { X509Certificate, createSecretKey, randomBytes, sign, webcrypto } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { BadConfigurationError } from '../../src/errors.ts'
import type { KeyInput } from '../../src/token/keys.ts'
import { ed25519, p256, rsa } from './fixtures.ts'

// ------------------------------------------------------------------------------ DER writing

/** One DER TLV (ITU-T X.690 section 8.1) with a definite length. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length
  const length =
    n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff)
  return Buffer.concat([Buffer.of(tag), length, content])
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))

/** An OBJECT IDENTIFIER from its dotted form (X.690 section 8.19). */
function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * first + second]
  for (const arc of rest) {
    const groups = [arc & 0x7f]
    for (let v = arc >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** The X.501 name `CN=<cn>`. */
const commonName = (cn: string): Buffer =>
  sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))))

/**
 * A self-signed X.509 v3 certificate (RFC 5280 section 4.1) for an Ed25519 or RSA key pair,
 * written with `node:crypto` alone so the suite needs no `openssl` binary.
 *
 * @param pair - the key pair the certificate is for, and that signs it
 * @returns the certificate as DER
 */
function selfSignedCertificate(pair: { publicKey: KeyObject; privateKey: KeyObject }): Buffer {
  const rsaKey = pair.publicKey.asymmetricKeyType === 'rsa'
  // sha256WithRSAEncryption takes a NULL parameter; Ed25519 takes none (RFC 8410 section 3).
  const algorithm = rsaKey
    ? sequence(oid('1.2.840.113549.1.1.11'), Buffer.of(0x05, 0x00))
    : sequence(oid('1.3.101.112'))
  const time = (text: string): Buffer => tlv(0x17, Buffer.from(text))
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.of(0x02))),
    tlv(0x02, Buffer.of(0x01)),
    algorithm,
    commonName('authx-ts test'),
    sequence(time('250101000000Z'), time('350101000000Z')),
    commonName('authx-ts test'),
    pair.publicKey.export({ type: 'spki', format: 'der' }),
  )
  const signature = sign(rsaKey ? 'sha256' : null, tbs, pair.privateKey)
  return sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.of(0), signature])))
}

// ------------------------------------------------------------------------------ SSH writing

/** An SSH `string` (RFC 4251 section 5): a uint32 length, then the bytes. */
function sshString(value: Buffer | string): Buffer {
  const bytes = Buffer.from(value)
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** An SSH `mpint`: big-endian, with a zero byte in front when the top bit is set. */
function sshMpint(unsigned: Buffer): Buffer {
  const first = unsigned[0] ?? 0
  return sshString(first & 0x80 ? Buffer.concat([Buffer.of(0), unsigned]) : unsigned)
}

/**
 * The OpenSSH public key line of a key (`<type> <base64 blob> <comment>`): RFC 4253 section 6.6
 * for RSA, RFC 5656 section 3.1 for ECDSA, RFC 8709 section 4 for Ed25519.
 */
function sshPublicKeyLine(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' })
  const b = (value: string | undefined): Buffer => Buffer.from(value ?? '', 'base64url')
  let type: string
  let blob: Buffer
  if (jwk.kty === 'RSA') {
    type = 'ssh-rsa'
    blob = Buffer.concat([sshString(type), sshMpint(b(jwk.e)), sshMpint(b(jwk.n))])
  } else if (jwk.kty === 'EC') {
    type = 'ecdsa-sha2-nistp256'
    const point = Buffer.concat([Buffer.of(0x04), b(jwk.x), b(jwk.y)])
    blob = Buffer.concat([sshString(type), sshString('nistp256'), sshString(point)])
  } else {
    type = 'ssh-ed25519'
    blob = Buffer.concat([sshString(type), sshString(b(jwk.x))])
  }
  return `${type} ${blob.toString('base64')} deploy@build-host`
}

// ------------------------------------------------------------------------------ encodings

/** Standard base64 wrapped at 64 columns, as PEM bodies and `base64` tools write it. */
const wrapped = (bytes: Buffer, eol = '\n'): string =>
  (bytes.toString('base64').match(/.{1,64}/g) ?? []).join(eol)

/** Every text spelling of DER bytes an operator might paste into an environment variable. */
function derSpellings(name: string, der: Buffer): Array<[string, KeyInput]> {
  const base64 = der.toString('base64')
  return [
    [`${name} as DER bytes`, der],
    [`${name} as lower-case hex`, der.toString('hex')],
    [`${name} as upper-case hex`, der.toString('hex').toUpperCase()],
    [`${name} as colon-separated hex`, (der.toString('hex').match(/../g) ?? []).join(':')],
    [`${name} as hex wrapped over lines`, (der.toString('hex').match(/.{1,60}/g) ?? []).join('\n')],
    [`${name} as padded base64`, base64],
    [`${name} as unpadded base64`, base64.replace(/=+$/, '')],
    [`${name} as base64 wrapped at 64 columns (a PEM body)`, wrapped(der)],
    [`${name} as base64 with CRLF and surrounding blanks`, `\r\n  ${wrapped(der, '\r\n')}\r\n`],
    [`${name} as base64url`, der.toString('base64url')],
    [
      `${name} as padded base64url`,
      `${der.toString('base64url')}${'='.repeat((4 - (base64.replace(/=+$/, '').length % 4)) % 4)}`,
    ],
    [`${name} as the bytes of its hex text`, Buffer.from(der.toString('hex'))],
  ]
}

const keys = { RSA: rsa(), 'EC P-256': p256(), Ed25519: ed25519() }

const materials: Array<[string, KeyInput]> = []
for (const [name, pair] of Object.entries(keys)) {
  const { publicKey } = pair
  materials.push(
    ...derSpellings(`an ${name} SPKI`, publicKey.export({ type: 'spki', format: 'der' })),
  )
  const certificate = selfSignedCertificate(pair)
  // The builder must make a real certificate, or the certificate cases prove nothing.
  assert.ok(new X509Certificate(certificate).publicKey.equals(publicKey))
  materials.push(...derSpellings(`an ${name} X.509 certificate`, certificate))
  const jwk = publicKey.export({ format: 'jwk' })
  materials.push(
    [`an ${name} JWK Set as JSON`, JSON.stringify({ keys: [{ ...jwk, kid: '1', use: 'sig' }] })],
    [`an ${name} JWK Set as indented JSON`, `\n${JSON.stringify({ keys: [jwk] }, null, 2)}\n`],
    [`an ${name} JWK Set as JSON bytes`, Buffer.from(JSON.stringify({ keys: [jwk] }))],
    [`an ${name} JWK array as JSON`, JSON.stringify([jwk])],
    [
      `an ${name} JWK Set as base64 of its JSON`,
      Buffer.from(JSON.stringify({ keys: [jwk] })).toString('base64'),
    ],
  )
  const line = sshPublicKeyLine(publicKey)
  const blob = line.split(' ')[1] ?? ''
  materials.push(
    [`an ${name} SSH public key line`, line],
    [`an ${name} SSH public key line with a trailing newline`, `${line}\n`],
    [`an ${name} SSH public key without its comment`, line.split(' ').slice(0, 2).join(' ')],
    [`an ${name} authorized_keys line with options`, `no-pty,from="10.0.0.0/8" ${line}`],
    [`an ${name} SSH public key blob alone`, blob],
    [
      `an ${name} SSH2 public key (RFC 4716)`,
      `---- BEGIN SSH2 PUBLIC KEY ----\nComment: "deploy"\n${(blob.match(/.{1,70}/g) ?? []).join('\n')}\n---- END SSH2 PUBLIC KEY ----\n`,
    ],
    [`an ${name} SSH public key line as base64`, Buffer.from(line).toString('base64')],
    [
      `an ${name} SPKI PEM file as base64 (a Kubernetes secret)`,
      Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })).toString('base64'),
    ],
  )
}
materials.push(
  ...derSpellings(
    'an RSA PKCS#1 public key',
    keys.RSA.publicKey.export({ type: 'pkcs1', format: 'der' }),
  ),
  ...derSpellings(
    'an RSA PKCS#8 private key',
    keys.RSA.privateKey.export({ type: 'pkcs8', format: 'der' }),
  ),
  ...derSpellings(
    'an EC SEC1 private key',
    keys['EC P-256'].privateKey.export({ type: 'sec1', format: 'der' }),
  ),
  [
    'an encrypted PKCS#8 private key as base64',
    keys.Ed25519.privateKey
      .export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'p' })
      .toString('base64'),
  ],
)

// ------------------------------------------------------------------------------ assertions

/** Asserts construction fails with BadConfigurationError whose message starts with `option`. */
function refused(options: AuthXOptions, option: string): void {
  assert.throws(
    () => new AuthX(options),
    (error: unknown) => {
      assert.ok(
        error instanceof BadConfigurationError,
        `not a BadConfigurationError: ${String(error)}`,
      )
      assert.ok(
        error.message.startsWith(`${option}: `),
        `message names ${option}: ${error.message}`,
      )
      assert.match(error.message, /encoded key or certificate|PEM key cannot be|JWK Set/)
      return true
    },
  )
}

const SECRET = randomBytes(48).toString('base64')

void describe('security: public material is never an HMAC secret', () => {
  for (const [name, material] of materials) {
    void test(`${name} is refused as secretKey and as previousSecretKey`, () => {
      refused({ secretKey: material }, 'secretKey')
      refused({ secretKey: material, algorithm: 'HS512' }, 'secretKey')
      refused({ secretKey: SECRET, previousSecretKey: material }, 'previousSecretKey')
      // Rotating from RS256 to HS256 with the old public key as the "previous secret" is the
      // confusion attack set up by configuration.
      refused(
        { secretKey: SECRET, previousAlgorithm: 'HS256', previousSecretKey: material },
        'previousSecretKey',
      )
    })
  }

  void test('public DER wrapped in an "oct" JWK, a secret KeyObject or an HMAC CryptoKey is refused', async () => {
    const der = keys.RSA.publicKey.export({ type: 'spki', format: 'der' })
    const certificate = selfSignedCertificate(keys.Ed25519)
    for (const bytes of [der, certificate, Buffer.from(der.toString('hex'))]) {
      const cryptoKey = await webcrypto.subtle.importKey(
        'raw',
        bytes,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign', 'verify'],
      )
      for (const secret of [
        { kty: 'oct', k: bytes.toString('base64url') },
        createSecretKey(bytes),
        cryptoKey,
      ]) {
        refused({ secretKey: secret }, 'secretKey')
        refused({ secretKey: SECRET, previousSecretKey: secret }, 'previousSecretKey')
      }
    }
  })

  void test('a JWK Set object given as the secret is refused with a BadConfigurationError, not a TypeError', () => {
    const jwks = { keys: [keys.RSA.publicKey.export({ format: 'jwk' })] }
    refused({ secretKey: jwks as unknown as KeyInput }, 'secretKey')
    refused(
      { secretKey: SECRET, previousSecretKey: jwks as unknown as KeyInput },
      'previousSecretKey',
    )
  })

  void test('random secrets written as hex, base64 or base64url are accepted (openssl rand -hex 32)', () => {
    for (let i = 0; i < 64; i++) {
      const bytes = randomBytes(32 + (i % 33))
      const spellings: KeyInput[] = [
        bytes,
        bytes.toString('hex'),
        bytes.toString('hex').toUpperCase(),
        bytes.toString('base64'),
        bytes.toString('base64').replace(/=+$/, ''),
        wrapped(bytes),
        bytes.toString('base64url'),
        { kty: 'oct', k: bytes.toString('base64url') },
        createSecretKey(bytes),
      ]
      for (const secret of spellings) {
        const auth = new AuthX({ secretKey: secret, previousSecretKey: secret })
        assert.equal(auth.verifyTokenSync(auth.createAccessToken('alice')).sub, 'alice')
      }
    }
  })

  void test('secrets that merely look structured are accepted: a DER-like first byte, "ssh" words, braces', () => {
    const accepted: KeyInput[] = [
      Buffer.concat([Buffer.of(0x30, 0x82, 0x01, 0x22), randomBytes(60)]),
      Buffer.concat([Buffer.of(0x30, 0x82, 0x01, 0x22), randomBytes(60)]).toString('hex'),
      'ssh is how we deploy; this passphrase is long enough to be a secret',
      'ssh-keys rotate monthly, and this passphrase is long enough too',
      'ssh-rsa is the old key type; this passphrase only mentions it',
      '{"not":"a key","but":"some json the operator chose as a secret"}',
      '{{ a templating placeholder that is long enough }}',
      `AAAA${randomBytes(40).toString('base64')}`,
    ]
    for (const secret of accepted) {
      assert.equal(new AuthX({ secretKey: secret }).config.verifyKeys.length, 1)
    }
  })
})
