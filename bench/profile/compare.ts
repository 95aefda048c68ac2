/**
 * Measures a change to the hot path before it is made: builds two source trees (the current
 * src/ and a modified copy) and runs their verification side by side, interleaved, reporting the
 * paired ratio. How every proposal in docs/benchmarks.md was measured.
 *
 * Usage: `node --import tsx bench/profile/compare.ts <modified-src-dir> [rounds=15] [alg=HS256]`
 * (copy src/ somewhere under the repository, edit the copy, pass its path).
 */
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as AuthXModule from '../../src/authx.ts'
import { buildLibrary } from '../lib/build.ts'
import { ROOT } from '../lib/child.ts'
import { SUBJECT, authxOptions, createKeyMaterial } from '../lib/fixtures.ts'
import type { BenchAlgorithm } from '../lib/fixtures.ts'
import { measureInterleaved } from '../lib/measure.ts'
import { formatRate, formatRatio, pairedRatio, summarize } from '../lib/stats.ts'

const [modified, rounds = '15', alg = 'HS256'] = process.argv.slice(2)
if (modified === undefined) {
  process.stderr.write('usage: compare.ts <modified-src-dir> [rounds] [alg]\n')
  process.exit(2)
}

async function load(src: string, name: string): Promise<typeof AuthXModule> {
  const out = join(ROOT, 'node_modules/.cache', `authx-compare-${name}`)
  await buildLibrary(src, out)
  return (await import(pathToFileURL(join(out, 'authx.js')).href)) as typeof AuthXModule
}

const before = await load(join(ROOT, 'src'), 'before')
const after = await load(resolve(modified), 'after')
const keys = createKeyMaterial(alg as BenchAlgorithm)
const a = new before.AuthX(authxOptions(keys))
const b = new after.AuthX(authxOptions(keys))
const token = a.createAccessToken(SUBJECT)
if (b.verifyTokenSync(token).sub !== SUBJECT)
  throw new Error('the modified build rejects the token')

const samples = await measureInterleaved(
  [
    {
      id: 'before.sync',
      label: 'src verifyTokenSync',
      async: false,
      run: () => a.verifyTokenSync(token),
    },
    {
      id: 'after.sync',
      label: 'modified verifyTokenSync',
      async: false,
      run: () => b.verifyTokenSync(token),
    },
    {
      id: 'before.async',
      label: 'src await verifyToken',
      async: true,
      run: () => a.verifyToken(token),
    },
    {
      id: 'after.async',
      label: 'modified await verifyToken',
      async: true,
      run: () => b.verifyToken(token),
    },
  ],
  { warmupMs: 300, sliceMs: 100, rounds: Number(rounds) },
)
for (const [id, list] of samples) {
  const s = summarize(list)
  process.stdout.write(
    `${id.padEnd(14)} ${formatRate(s.median)} ops/CPU-s (${formatRate(s.min)}–${formatRate(s.max)})\n`,
  )
}
for (const kind of ['sync', 'async']) {
  const r = pairedRatio(samples.get(`after.${kind}`) ?? [], samples.get(`before.${kind}`) ?? [])
  process.stdout.write(
    `after/before ${kind}: ${formatRatio(r.median)} (${formatRatio(r.min)}–${formatRatio(r.max)})\n`,
  )
}
