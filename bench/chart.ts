/**
 * Writes docs/benchmarks.svg: horizontal bars for HS256 verification (ops per CPU-second) and for
 * the protected route of each framework (requests per server CPU-second, the load-independent
 * measure). Plain SVG text, no dependency.
 */
import type { BenchResult } from './run.ts'
import { formatRate } from './lib/stats.ts'

interface Bar {
  readonly label: string
  readonly value: number
  readonly ours: boolean
}

interface Panel {
  readonly title: string
  readonly unit: string
  readonly bars: readonly Bar[]
}

const WIDTH = 860
const LABEL_WIDTH = 330
const BAR_HEIGHT = 18
const GAP = 6

function escape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
}

function panels(result: BenchResult): Panel[] {
  const out: Panel[] = []
  const hs = result.micro?.groups.find((g) => g.id === 'verify:HS256')
  if (hs !== undefined) {
    out.push({
      title: 'HS256 verify, operations per CPU-second (higher is better)',
      unit: 'ops/s',
      bars: hs.contenders.map((c) => ({
        label: c.label,
        value: c.opsPerSec.median,
        ours: c.id.startsWith('authx'),
      })),
    })
  }
  for (const fw of result.http?.frameworks ?? []) {
    out.push({
      title: `${fw.framework}: GET /protected, 10 connections (higher is better)`,
      unit: 'req/s',
      bars: fw.variants.map((v) => ({
        label: v.label,
        value: v.rps.median,
        ours: v.variant.startsWith('authx'),
      })),
    })
  }
  return out
}

/**
 * Renders the chart.
 *
 * @param result - a benchmark result
 * @returns the SVG document
 */
export function renderChart(result: BenchResult): string {
  const parts: string[] = []
  let y = 40
  for (const panel of panels(result)) {
    const max = Math.max(...panel.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1)
    parts.push(`<text x="10" y="${y}" class="title">${escape(panel.title)}</text>`)
    y += 12
    for (const bar of panel.bars) {
      const value = Number.isFinite(bar.value) ? bar.value : 0
      const width = Math.max(1, ((WIDTH - LABEL_WIDTH - 110) * value) / max)
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 13}" class="label">${escape(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" class="${bar.ours ? 'ours' : 'peer'}"/>`,
        `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + 13}" class="value">${formatRate(value)} ${panel.unit}</text>`,
      )
      y += BAR_HEIGHT + GAP
    }
    y += 28
  }
  const { meta } = result
  parts.push(
    `<text x="10" y="${y}" class="note">${escape(`${meta.date.slice(0, 10)}, ${meta.machine.cpus} CPUs ${meta.machine.cpuModel}, Node ${meta.machine.node}, medians of interleaved runs (${meta.mode} mode)`)}</text>`,
  )
  const height = y + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    '<style>.title{font-weight:600;font-size:14px}.label{text-anchor:end;fill:#333}.value{fill:#333}.note{fill:#666;font-size:11px}.ours{fill:#2563eb}.peer{fill:#9ca3af}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
