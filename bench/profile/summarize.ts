/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self and inclusive time per function,
 * top first, with the source location shortened to the repository or package.
 *
 * Usage: `node --import tsx bench/profile/summarize.ts <file.cpuprofile> [top=25] [filter]`
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface CPUProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
}

/** One function's share of the profile. */
export interface FunctionCost {
  readonly name: string
  readonly self: number
  readonly total: number
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/')
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length)
  const src = url.search(/\/(src|bench|test)\//)
  if (src !== -1) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '')
}

/**
 * Self and inclusive sample shares per function.
 *
 * @param profile - the parsed profile
 */
export function summarizeProfile(profile: CPUProfile): FunctionCost[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const key = (n: ProfileNode): string => {
    const { functionName, url, lineNumber } = n.callFrame
    return `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim()
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let all = 0
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0
    if (hits === 0) continue
    all += hits
    self.set(key(n), (self.get(key(n)) ?? 0) + hits)
    // Inclusive: count each distinct function once per stack.
    const seen = new Set<string>()
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)
      if (node === undefined) break
      const k = key(node)
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + hits)
    }
  }
  return [...total.keys()]
    .map((name) => ({
      name,
      self: (self.get(name) ?? 0) / all,
      total: (total.get(name) ?? 0) / all,
    }))
    .sort((a, b) => b.self - a.self)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top = '25', filter] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: summarize.ts <file.cpuprofile> [top] [filter]\n')
    process.exit(2)
  }
  const costs = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CPUProfile)
  const shown = costs
    .filter((c) => filter === undefined || c.name.includes(filter))
    .slice(0, Number(top))
  process.stdout.write('  self%  total%  function\n')
  for (const c of shown) {
    process.stdout.write(
      `${(c.self * 100).toFixed(1).padStart(7)} ${(c.total * 100).toFixed(1).padStart(7)}  ${c.name}\n`,
    )
  }
}
