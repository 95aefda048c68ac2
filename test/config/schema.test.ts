/**
 * The option table against the public options and the resolved config. The type assertions are
 * checked by `tsc` (test/ is type-checked); the runtime tests check what types cannot: that each
 * row's default is the value its resolver applies, so the rendered docs tell the truth.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AuthXConfig, AuthXOptions } from '../../src/config/index.ts'
import { resolveConfig } from '../../src/config/index.ts'
import type { OptionSchema, ResolvedName } from '../../src/config/schema.ts'
import { KINDS, OPTION_NAMES, OPTION_ROWS, OPTION_SCHEMA } from '../../src/config/schema.ts'

const SECRET = 's'.repeat(64)

/** True when A and B are the same type (not merely assignable either way). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

// The table has a row for every option and no other row: they cannot drift apart.
const sameNames: Equal<keyof typeof OPTION_SCHEMA, keyof AuthXOptions> = true
// Every field of the resolved config but the keys is the resolved value of the option of its name.
const configFromRows: Equal<
  Exclude<keyof AuthXConfig, 'signingKey' | 'verifyKeys'>,
  ResolvedName
> = true

// What the compiler refuses: a row for a name that is not an option...
const withExtraRow = {
  ...OPTION_SCHEMA,
  // @ts-expect-error `tokenLocations` is not a member of AuthXOptions
  tokenLocations: OPTION_SCHEMA.tokenLocation,
} satisfies OptionSchema
// ...an option without a row...
const withoutClock: Omit<typeof OPTION_SCHEMA, 'clock'> = OPTION_SCHEMA
// @ts-expect-error `clock` has no row
const missingRow: OptionSchema = withoutClock
// ...and a resolver whose result does not fit its config field.
const wrongResult = {
  ...OPTION_SCHEMA,
  // @ts-expect-error decodeLeeway resolves to a number, not a string
  decodeLeeway: { ...OPTION_SCHEMA.decodeLeeway, resolve: () => 'zero' },
} satisfies OptionSchema

void describe('option schema', () => {
  void test('the type-level checks above hold', () => {
    assert.equal(sameNames, true)
    assert.equal(configFromRows, true)
    assert.ok(withExtraRow && missingRow && wrongResult)
  })

  void test('the resolved config has one field per resolved row, and the keys', () => {
    const resolved = OPTION_NAMES.filter((name) => OPTION_ROWS[name].resolve !== undefined)
    const config = resolveConfig({ secretKey: SECRET })
    assert.deepEqual(Object.keys(config).sort(), [...resolved, 'signingKey', 'verifyKeys'].sort())
  })

  void test('a row without a resolver says what reads it', () => {
    const unresolved = OPTION_NAMES.filter((name) => OPTION_ROWS[name].resolve === undefined)
    assert.deepEqual(
      unresolved.map((name) => [name, OPTION_ROWS[name].readBy]),
      [
        ['secretKey', 'buildKeys'],
        ['privateKey', 'buildKeys'],
        ['publicKey', 'buildKeys'],
        ['keyId', 'buildKeys'],
        ['previousSecretKey', 'buildKeys'],
        ['previousPublicKey', 'buildKeys'],
        ['previousAlgorithm', 'buildKeys'],
        ['previousKeyId', 'buildKeys'],
        ['keys', 'buildKeys'],
        ['signingKeyId', 'buildKeys'],
        ['store', 'AuthX'],
      ],
    )
  })

  void test("each row's default is what its resolver applies when the option is absent", () => {
    const absent = resolveConfig({ secretKey: SECRET })
    const withoutDefault: string[] = []
    for (const name of OPTION_NAMES) {
      const row = OPTION_ROWS[name]
      if (row.resolve === undefined) continue
      if (row.default === undefined) {
        withoutDefault.push(name)
        continue
      }
      const given = resolveConfig({ secretKey: SECRET, [name]: row.default })
      assert.deepEqual(given[name as ResolvedName], absent[name as ResolvedName], name)
    }
    // Their defaults are words in the docs ("the algorithms of the configured keys", "none").
    // keyRing, jwksUri and issuers have none: setting one replaces the configured keys.
    assert.deepEqual(withoutDefault, [
      'decodeAlgorithms',
      'keyRing',
      'jwksUri',
      'issuers',
      'loginType',
    ])
  })

  void test('every kind is used by some row', () => {
    const used = new Set(OPTION_NAMES.map((name) => OPTION_ROWS[name].kind))
    assert.deepEqual(
      Object.keys(KINDS).filter((kind) => !used.has(kind as keyof typeof KINDS)),
      [],
    )
  })
})
