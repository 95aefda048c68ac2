/**
 * A quickstart started with a `REDIS_URL` nothing answers on stops at once with one line naming
 * the URL (its password and user name hidden) and why, and a non-zero exit code: no stack trace,
 * no server left listening without its store.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test } from 'node:test'
import { freePort } from '../helpers/processes.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

void describe('a quickstart on an unreachable REDIS_URL', () => {
  for (const app of ['quickstart-fastify', 'quickstart-express']) {
    void test(`${app} names the URL without credentials and exits 1`, async () => {
      const redisPort = await freePort()
      const child = spawn(
        process.execPath,
        ['--import=tsx', join(ROOT, 'examples', app, 'main.ts')],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            REDIS_URL: `redis://alice:s3cret-pa55@127.0.0.1:${redisPort}/0`,
            PORT: String(await freePort()),
            JWT_SECRET_KEY: 'a test secret that is at least 32 bytes long',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      try {
        const [code] = (await once(child, 'exit')) as [number | null]
        assert.equal(code, 1, `stdout: ${stdout}\nstderr: ${stderr}`)
      } finally {
        child.kill()
      }
      const lines = stderr.trim().split('\n')
      assert.equal(lines.length, 1, stderr)
      assert.match(
        lines[0]!,
        new RegExp(
          `cannot connect to Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${redisPort}/0: .*ECONNREFUSED`,
        ),
      )
      assert.ok(!stderr.includes('s3cret-pa55') && !stderr.includes('alice'), stderr)
      assert.ok(!stdout.includes('listening'), stdout)
    })
  }
})
