// Runs before `npm start` and `npm test` (the `prestart` and `pretest` scripts): installs exactly
// what package-lock.json pins, with `npm ci`, when node_modules is missing or does not match the
// lockfile, so both commands work straight after `git clone`. It must run before anything is
// installed, so it uses Node's own modules only.
//
// "Matches" compares the lockfile with the one npm writes into node_modules after every install
// (node_modules/.package-lock.json): every package npm installed must be at the version the
// lockfile pins and still on disk, and every package the lockfile pins must be installed unless
// it is optional (the platform-specific binaries of other systems are never installed). Content,
// not modification times: a checkout or a copy changes the times without changing what is needed.
//
// `node scripts/ensure-installed.mjs --check [dir]` only reports: it prints why `dir` (this
// repository by default) needs an install and exits 1, or exits 0 when it does not.
//
// `--test-fixtures` (the `pretest` script) also installs the test fixtures that are projects of
// their own, with their own lockfile: test/fixtures/nestjs11, the NestJS 11 that the NestJS
// binding's suites are replayed on (test/adapters/nestjs11.test.ts). `npm start` does not need
// them.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const checkOnly = process.argv[2] === '--check'
const withTestFixtures = process.argv[2] === '--test-fixtures'
const repository = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The fixtures with a package.json and package-lock.json of their own, from the repository. */
const TEST_FIXTURES = ['test/fixtures/nestjs11']

/**
 * Why `root`'s node_modules must be (re)installed, or null when it matches the lockfile.
 * @param {string} root
 * @returns {string | null}
 */
function staleReason(root) {
  const installedPath = join(root, 'node_modules', '.package-lock.json')
  if (!existsSync(installedPath)) return 'node_modules is missing'
  /** @type {Record<string, { version?: string, optional?: boolean }>} */
  const pinned = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {}
  /** @type {Record<string, { version?: string }>} */
  let installed
  try {
    installed = JSON.parse(readFileSync(installedPath, 'utf8')).packages ?? {}
  } catch {
    return 'node_modules/.package-lock.json is unreadable'
  }
  for (const [path, entry] of Object.entries(pinned)) {
    if (path === '') continue // the project itself
    const have = installed[path]
    if (have === undefined) {
      if (entry.optional === true) continue
      return `${path} is not installed`
    }
    if (have.version !== entry.version) {
      return `${path} is ${have.version ?? 'unversioned'}, package-lock.json pins ${entry.version ?? 'none'}`
    }
  }
  for (const path of Object.keys(installed)) {
    if (path === '') continue
    if (!(path in pinned)) return `${path} is installed but no longer in package-lock.json`
    if (!existsSync(join(root, path, 'package.json'))) return `${path} was removed from disk`
  }
  return null
}

/**
 * Runs `npm ci` in `dir` (relative to the repository) when its node_modules is stale; exits with
 * npm's status when that fails.
 * @param {string} dir
 */
function ensureInstalled(dir) {
  const reason = staleReason(join(repository, dir))
  if (reason === null) return
  const where = dir === '.' ? '' : ` --prefix ${dir}`
  console.error(
    `Installing dependencies from ${join(dir, 'package-lock.json')} (npm ci${where}): ${reason}.`,
  )
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: join(repository, dir),
    stdio: 'inherit',
    shell: process.platform === 'win32',
  })
  if (result.status !== 0) {
    console.error('npm ci failed; fix the error above, then run the command again.')
    process.exit(result.status ?? 1)
  }
}

if (checkOnly) {
  const reason = staleReason(process.argv[3] ?? repository)
  if (reason !== null) console.log(reason)
  process.exit(reason === null ? 0 : 1)
}
ensureInstalled('.')
if (withTestFixtures) for (const fixture of TEST_FIXTURES) ensureInstalled(fixture)
