/**
 * The command line as a whole: `--version`, the help of every command, unknown commands, and the
 * built `bin` the package declares, run from `dist/` as `npx authx-ts` runs it once installed.
 * Run alone, this test builds first when `dist/` is missing or older than `src/cli/`.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { AuthX } from '../../src/index.ts'
import { ENTRIES, ROOT, hasStack, runCLI } from './run-cli.ts'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string
  bin: Record<string, string>
  files: string[]
}
const COMMANDS = ['keygen', 'jwks', 'decode', 'verify', 'rotate']

function newestMtime(dir: string): number {
  return Math.max(...readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs))
}

function builtAt(): number {
  try {
    return statSync(ENTRIES.dist).mtimeMs
  } catch {
    return -Infinity
  }
}

void describe('authx-ts', () => {
  void test('--version prints the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await runCLI([flag])
      assert.equal(result.status, 0)
      assert.equal(result.stdout, `${pkg.version}\n`)
    }
  })

  void test('--help lists every command; no command is a usage error', async () => {
    const help = await runCLI(['--help'])
    assert.equal(help.status, 0)
    for (const name of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${name} +\\S`, 'm'))
    const none = await runCLI([])
    assert.equal(none.status, 2)
    assert.equal(none.stdout, '')
    assert.match(none.stderr, /^Usage: authx-ts <command>/)
  })

  for (const name of COMMANDS) {
    void test(`${name} --help shows its usage, exit code 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const result = await runCLI([name, flag])
        assert.equal(result.status, 0, result.stderr)
        assert.match(result.stdout, new RegExp(`^Usage: authx-ts ${name}`))
        assert.match(result.stdout, /Exit codes|Examples/)
      }
    })
  }

  void test('an unknown command is exit code 2, with the list of commands', async () => {
    const result = await runCLI(['sign', 'x'])
    assert.equal(result.status, 2)
    assert.match(result.stderr, /^authx-ts: unknown command "sign"/)
    assert.match(result.stderr, /keygen/)
    assert.equal(hasStack(result.stderr), false)
  })

  void describe('the built bin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authx-bin-'))
    before(() => {
      if (builtAt() >= newestMtime(join(ROOT, 'src', 'cli'))) return
      const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' })
      assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}${build.stderr}`)
    })
    after(() => rmSync(dir, { recursive: true, force: true }))

    void test('package.json declares it, the tarball ships it, it starts with a node shebang', () => {
      assert.deepEqual(pkg.bin, { 'authx-ts': 'dist/cli/main.js' })
      assert.ok(pkg.files.includes('dist'))
      assert.equal(join(ROOT, pkg.bin['authx-ts']), ENTRIES.dist)
      assert.equal(readFileSync(ENTRIES.dist, 'utf8').split('\n')[0], '#!/usr/bin/env node')
    })

    void test('runs from dist: --version, keygen, jwks, decode and verify', async () => {
      const version = await runCLI(['--version'], { entry: 'dist' })
      assert.equal(version.stdout, `${pkg.version}\n`)

      const generated = await runCLI(
        ['keygen', '--alg', 'ES256', '--kid', 'dist-1', '--format', 'jwk'],
        {
          entry: 'dist',
        },
      )
      assert.equal(generated.status, 0, generated.stderr)
      const keyFile = join(dir, 'key.json')
      writeFileSync(keyFile, generated.stdout)
      const { privateKey, publicKey } = JSON.parse(generated.stdout) as {
        privateKey: { kid: string; kty: string }
        publicKey: { kid: string; kty: string }
      }

      const jwks = await runCLI(['jwks', keyFile], { entry: 'dist' })
      assert.equal(jwks.status, 0, jwks.stderr)
      assert.deepEqual(JSON.parse(jwks.stdout), { keys: [publicKey] })

      const token = new AuthX({ keys: { keys: [privateKey] } }).createAccessToken('alice')
      const decoded = await runCLI(['decode', token], { entry: 'dist' })
      assert.equal(decoded.status, 0, decoded.stderr)
      assert.match(decoded.stdout, /^UNVERIFIED/)

      const verified = await runCLI(['verify', token, '--key', keyFile], { entry: 'dist' })
      assert.equal(verified.status, 0, verified.stderr)
      assert.match(verified.stdout, /^VERIFIED \(ES256, kid dist-1\)/)

      // Alice's claims under the signature of Bob's token.
      const signer = new AuthX({ keys: { keys: [privateKey] } })
      const [header, payload] = token.split('.')
      const forged = `${header}.${payload}.${signer.createAccessToken('bob').split('.')[2]}`
      const failed = await runCLI(['verify', forged, '--key', keyFile], { entry: 'dist' })
      assert.equal(failed.status, 1)
      assert.equal(failed.stderr, 'TokenInvalidSignatureError: Signature verification failed\n')
    })

    void test('installed without ioredis: --redis says what to install, the rest works', () => {
      // The package as npm installs it, with its one dependency and none of the optional peers.
      const installed = join(dir, 'app', 'node_modules')
      cpSync(join(ROOT, 'dist'), join(installed, 'authx-ts', 'dist'), { recursive: true })
      cpSync(join(ROOT, 'package.json'), join(installed, 'authx-ts', 'package.json'))
      symlinkSync(join(ROOT, 'node_modules', 'cookie'), join(installed, 'cookie'))
      const bin = join(installed, 'authx-ts', pkg.bin['authx-ts'] as string)
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [bin, ...args], { cwd: join(dir, 'app'), encoding: 'utf8' })
      const version = run('--version')
      assert.equal(version.stdout, `${pkg.version}\n`, version.stderr)
      const secret = run('keygen', '--secret')
      assert.equal(secret.status, 0, secret.stderr)
      const ring = run('jwks', '--redis', 'redis://127.0.0.1:1')
      assert.equal(ring.status, 1)
      assert.equal(
        ring.stderr,
        'authx-ts jwks: --redis needs the ioredis package: npm install ioredis\n',
      )
    })
  })
})
