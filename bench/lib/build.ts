/**
 * Compiles src/ to plain ES2022 JavaScript for the benchmarks, one file per source file, into
 * node_modules/.cache/authx-bench (ignored by git, and inside the repository so that the compiled
 * files resolve the same node_modules).
 *
 * Why not measure src/ through tsx: tsx compiles with esbuild's `keepNames`, which wraps every
 * function created at run time in a `__name(fn, "name")` call (an `Object.defineProperty`). A
 * closure created per verification then costs what it never costs in the published build (plain
 * `tsc`); measured, authx-ts verified about 15% slower through tsx. The peers are plain
 * JavaScript from node_modules and pay nothing of the kind.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT } from './child.ts'

/** Where the compiled library goes. */
export const BUILD_DIR = join(ROOT, 'node_modules/.cache/authx-bench')

function walk(dir: string, ext: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, ext, out)
    else if (path.endsWith(ext) && !path.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/**
 * Compiles src/ with esbuild (no bundling, no `keepNames`) and rewrites the relative `.ts`
 * specifiers to `.js`, as `tsc` does with `rewriteRelativeImportExtensions`.
 *
 * @param src - the source tree (another one to measure an experiment side by side)
 * @param out - the output directory; must be inside the repository to resolve node_modules
 * @returns the output directory, relative to the repository root
 * @throws Error when esbuild is not available
 */
export async function buildLibrary(
  src: string = join(ROOT, 'src'),
  out: string = BUILD_DIR,
): Promise<string> {
  const { build } = await import('esbuild')
  rmSync(out, { recursive: true, force: true })
  await build({
    entryPoints: walk(src, '.ts'),
    outdir: out,
    outbase: src,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    logLevel: 'error',
  })
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n')
  for (const file of walk(out, '.js')) {
    const code = readFileSync(file, 'utf8')
    const rewritten = code.replace(
      /((?:\bfrom|\bimport)\s*\(?\s*["'])(\.\.?\/[^"']+)\.ts(["'])/g,
      '$1$2.js$3',
    )
    if (rewritten !== code) writeFileSync(file, rewritten)
  }
  return relative(ROOT, out)
}
