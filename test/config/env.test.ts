/**
 * `configFromEnv` as the table drives it: every option's variable is derived from its name and
 * read the way its kind says. The behaviour of each reader is tested in index.test.ts.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { configFromEnv, envName, ENV_READERS, optionName } from '../../src/config/env.ts'
import { KINDS, OPTION_NAMES, OPTION_ROWS } from '../../src/config/schema.ts'

/** A text every reader accepts, and what each reader makes of it. */
const SAMPLE = '["a"]'
const READ: Record<string, unknown> = {
  list: ['a'],
  boolean: undefined, // booleans refuse it; see below
  number: Number.NaN,
  lifetime: SAMPLE,
  audience: ['a'],
  string: SAMPLE,
}

void describe('configFromEnv from the table', () => {
  void test("every option's variable is JWT_ and its name in upper snake case, both ways", () => {
    for (const name of OPTION_NAMES) {
      const variable = envName(name)
      assert.match(variable, /^JWT_[A-Z]+(_[A-Z]+)*$/, name)
      assert.equal(optionName(variable), name, variable)
    }
    assert.equal(envName('cookieHttpOnly'), 'JWT_COOKIE_HTTP_ONLY')
    assert.equal(envName('accessCsrfHeaderName'), 'JWT_ACCESS_CSRF_HEADER_NAME')
  })

  void test('each variable is read by the reader of its kind', () => {
    for (const name of OPTION_NAMES) {
      const parser = KINDS[OPTION_ROWS[name].kind].env
      const variable = envName(name)
      if (parser === 'boolean') {
        assert.equal(configFromEnv({ [variable]: 'on' })[name], true, name)
        assert.throws(() => configFromEnv({ [variable]: SAMPLE }), new RegExp(`^.*${variable}: `))
        continue
      }
      // A code-only option has no reader: its text is kept, and the constructor judges it.
      const expected = parser === null ? SAMPLE : READ[parser]
      assert.deepEqual(configFromEnv({ [variable]: SAMPLE })[name], expected, name)
    }
  })

  void test('every reader is used by some kind', () => {
    const used = new Set(Object.values(KINDS).map((kind) => kind.env))
    assert.deepEqual(
      Object.keys(ENV_READERS).filter((parser) => !used.has(parser as keyof typeof ENV_READERS)),
      [],
    )
  })

  void test('a variable that names no option is left out (the constructor refuses unknown keys)', () => {
    assert.deepEqual(
      configFromEnv({ JWT_NOT_AN_OPTION: 'x', JWT_TO_STRING: 'y', JWT_SECRET_KEY: 's' }),
      { secretKey: 's' },
    )
  })

  void test('the part after JWT_ is matched in any case, as before', () => {
    assert.deepEqual(configFromEnv({ JWT_Cookie_Secure: 'false' }), { cookieSecure: false })
  })
})
