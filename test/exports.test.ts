/**
 * The run-time names of every entry point of the built package, against exact lists: an export
 * added by accident (an internal helper that leaks through a barrel) fails here as surely as one
 * that goes missing. The entries are imported from `dist/` through the targets `package.json`
 * declares, so a wrong `exports` path fails too. `npm test` builds before it runs the tests; run
 * alone, this test builds first when `dist/` is missing or older than `src/`.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { before, describe, test } from 'node:test'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The run-time names of the core entry, `authx-ts`. */
const CORE = [
  'ALGORITHMS',
  'AccessTokenRequiredError',
  'AuthManager',
  'AuthX',
  'AuthXError',
  'BadConfigurationError',
  'CSRFError',
  'FreshTokenRequiredError',
  'InsufficientScopeError',
  'JWTDecodeError',
  'LoginTypeMismatchError',
  'MemoryStore',
  'MissingCSRFTokenError',
  'MissingTokenError',
  'PolicyDeniedError',
  'PolicyEngine',
  'RateLimitExceededError',
  'RefreshTokenRequiredError',
  'RevokedTokenError',
  'StoreUnavailableError',
  'KeySetUnavailableError',
  'SubjectNotFoundError',
  'TOKEN_LOCATIONS',
  'TokenExpiredError',
  'TokenInvalidAudienceError',
  'TokenInvalidIssuerError',
  'TokenInvalidSignatureError',
  'TokenPayload',
  'TokenTypeError',
  'VerifiedTokenCache',
  'configFromEnv',
  'hasRequiredScopes',
  'isAuthXError',
  'readPolicyAttribute',
  'renderError',
  'scopeMatches',
  'viewFromRequest',
]

/** Every entry of `package.json` `exports` but `./package.json`, with its run-time names. */
const ENTRIES: Record<string, readonly string[]> = {
  // The audit channel names live in the core entry only: subscribing needs no binding.
  '.': [...CORE, 'AUDIT_CHANNELS'],
  // The bindings re-export the core; their `AuthX` is the bound class.
  './fastify': CORE,
  './express': CORE,
  './hono': CORE,
  './koa': CORE,
  // NestJS's `TokenPayload` is the parameter decorator (and, as a type, the payload).
  './nestjs': [
    ...CORE,
    'AccessTokenGuard',
    'AnyScope',
    'AnyTokenGuard',
    'AuthXGuard',
    'AuthXModule',
    'CurrentSubject',
    'CurrentSubjectGuard',
    'FreshTokenGuard',
    'Policy',
    'PolicyGuard',
    'Public',
    'RefreshTokenGuard',
    'Scopes',
    'ScopesGuard',
  ],
  './fetch': ['applyCookies', 'handleErrors', 'withAuth'],
  './redis': ['RedisStore', 'createRedisStore', 'recommendedRedisOptions'],
  './testing': ['createTestClock', 'createTestKit'],
}

interface PackageJSON {
  exports: Record<string, string | { types: string; default: string }>
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJSON

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir).map((name) => {
      const path = join(dir, name)
      const stat = statSync(path)
      return stat.isDirectory() ? newestMtime(path) : stat.mtimeMs
    }),
  )
}

function builtAt(): number {
  try {
    return statSync(join(ROOT, 'dist', 'index.js')).mtimeMs
  } catch {
    return -Infinity
  }
}

void describe('the built entry points', () => {
  before(() => {
    if (builtAt() >= newestMtime(join(ROOT, 'src'))) return
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' })
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}${build.stderr}`)
  })

  void test('package.json lists exactly these entries', () => {
    assert.deepEqual(
      Object.keys(pkg.exports).sort(),
      [...Object.keys(ENTRIES), './package.json'].sort(),
    )
  })

  for (const [entry, expected] of Object.entries(ENTRIES)) {
    void test(`authx-ts${entry === '.' ? '' : entry.slice(1)} exports exactly its names`, async () => {
      const target = pkg.exports[entry]
      assert.ok(typeof target === 'object', `${entry}: expected { types, default }`)
      assert.match(target.default, /^\.\/dist\/.+\.js$/)
      assert.equal(target.types, target.default.replace(/\.js$/, '.d.ts'))
      statSync(join(ROOT, target.types)) // the declarations were built next to the code
      const module = (await import(pathToFileURL(join(ROOT, target.default)).href)) as Record<
        string,
        unknown
      >
      assert.deepEqual(Object.keys(module).sort(), [...expected].sort())
      for (const name of expected) assert.notEqual(module[name], undefined, `${entry}: ${name}`)
    })
  }

  void test('a binding exports its own AuthX, a subclass of the core one', async () => {
    const core = (await import(pathToFileURL(join(ROOT, 'dist/index.js')).href)) as {
      AuthX: abstract new (...args: never[]) => unknown
    }
    for (const binding of ['fastify', 'express', 'hono', 'koa', 'nestjs/index']) {
      const module = (await import(
        pathToFileURL(join(ROOT, `dist/adapters/${binding}.js`)).href
      )) as { AuthX: { prototype: unknown } }
      assert.notEqual(module.AuthX, core.AuthX, binding)
      assert.ok(module.AuthX.prototype instanceof core.AuthX, binding)
    }
  })
})
