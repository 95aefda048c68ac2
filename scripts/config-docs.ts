/**
 * Renders the option tables of docs/configuration.md from the option table in
 * src/config/schema.ts, so the docs say what the code does. `npm run docs:config` rewrites them;
 * test/config/docs.test.ts fails when they differ. Only the tables are generated: the prose around
 * them is the docs' own.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseDuration } from '../src/internal/duration.ts'
import { ENV_READERS, envName } from '../src/config/env.ts'
import type { AnyOptionRow, EnvParser, OptionName } from '../src/config/schema.ts'
import { DOC_SECTIONS, KINDS, OPTION_NAMES, OPTION_ROWS } from '../src/config/schema.ts'

/** The configuration docs, relative to this script. */
export const DOCS_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))

/** The heading above the table of environment readers. */
const ENV_HEADING = '## Reading the environment: `configFromEnv`'

const row = (name: OptionName): AnyOptionRow => OPTION_ROWS[name]
const code = (text: string): string => `\`${text}\``

/** Seconds with a space every three digits, as the docs write large numbers (`1 728 000`). */
function seconds(value: number): string {
  const digits = String(value)
  return value < 10_000 ? digits : digits.replace(/\B(?=(\d{3})+$)/g, ' ')
}

/** The Default cell: the row's own words, or its default value written as code. */
function defaultCell(name: OptionName): string {
  const { kind, default: value, docs } = row(name)
  if (docs.default !== undefined) return docs.default
  if (value === undefined) return 'none'
  if (typeof value === 'string') {
    const duration = kind === 'lifetime' || kind === 'duration' ? parseDuration(value) : undefined
    return duration === undefined
      ? code(`'${value}'`)
      : `${code(`'${value}'`)} (${seconds(duration)} s)`
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return code(String(value))
  }
  if (Array.isArray(value)) return code(`[${value.map((v) => `'${String(v)}'`).join(', ')}]`)
  if (typeof value === 'object' && Object.keys(value).length === 0) return code('{}')
  throw new Error(`${name}: write its default in words (docs.default)`)
}

function typeCell(name: OptionName): string {
  const { kind, docs } = row(name)
  const type = docs.type ?? KINDS[kind].type
  if (type === undefined) throw new Error(`${name}: kind ${kind} needs a docs.type`)
  return type
}

function envParser(name: OptionName): EnvParser | null {
  return KINDS[row(name).kind].env
}

function envCell(name: OptionName): string {
  const kindInfo = KINDS[row(name).kind]
  if (kindInfo.env === null) return '—'
  return kindInfo.envNote === undefined
    ? code(envName(name))
    : `${code(envName(name))} (${kindInfo.envNote})`
}

/** A Markdown table laid out as Prettier lays it out: every column padded to its widest cell. */
function table(header: readonly string[], body: readonly (readonly string[])[]): string[] {
  const width = (text: string): number => [...text].length
  const widths = header.map((h, i) =>
    Math.max(3, width(h), ...body.map((cells) => width(cells[i] ?? ''))),
  )
  const pad = (text: string, w: number): string => text + ' '.repeat(w - width(text))
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => pad(cells[i] ?? '', w)).join(' | ')} |`
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)]
}

/** The table of one docs section. */
function sectionTable(section: keyof typeof DOC_SECTIONS): string[] {
  const names = OPTION_NAMES.filter((name) => row(name).docs.section === section)
  if (section === 'code') {
    // Options that are mostly set in code; one that also has a variable says so in its cell.
    return table(
      ['Option', 'Type', 'Default', 'What it does'],
      names.map((name) => {
        if (row(name).docs.vsAuthX !== undefined) {
          throw new Error(
            `${name}: the code-only table has no vs AuthX column; say it in docs.does`,
          )
        }
        const option =
          envParser(name) === null ? code(name) : `${code(name)} (env ${code(envName(name))})`
        return [option, typeCell(name), defaultCell(name), row(name).docs.does]
      }),
    )
  }
  return table(
    ['Option', 'Env', 'Type', 'Default', 'What it does', 'vs AuthX'],
    names.map((name) => [
      code(name),
      envCell(name),
      typeCell(name),
      defaultCell(name),
      row(name).docs.does,
      row(name).docs.vsAuthX ?? '',
    ]),
  )
}

/** The table of how `configFromEnv` reads each kind of variable. */
function envTable(): string[] {
  return table(
    ['Kind', 'Options', 'Accepted values'],
    Object.entries(ENV_READERS).map(([parser, reader]) => {
      const names = OPTION_NAMES.filter((name) => envParser(name) === parser)
      const options: string | undefined = 'options' in reader ? reader.options : undefined
      return [reader.kind, options ?? names.map(code).join(', '), reader.accepted]
    }),
  )
}

/**
 * Replaces the first table after `heading` (and before the next heading) with `rendered`.
 *
 * @throws Error when the heading or its table is missing
 */
function replaceTable(lines: string[], heading: string, rendered: string[]): void {
  const at = lines.indexOf(heading)
  if (at === -1) throw new Error(`docs/configuration.md has no heading ${JSON.stringify(heading)}`)
  let start = at + 1
  while (start < lines.length && !lines[start]?.startsWith('|')) {
    if (lines[start]?.startsWith('#')) break
    start += 1
  }
  if (!lines[start]?.startsWith('|')) throw new Error(`no table under ${JSON.stringify(heading)}`)
  let end = start
  while (lines[end]?.startsWith('|')) end += 1
  lines.splice(start, end - start, ...rendered)
}

/**
 * Renders the option tables into the configuration docs.
 *
 * @param markdown - docs/configuration.md as it is
 * @returns the same text with every option table rendered from the schema
 * @throws Error when a section heading or its table is missing, or a row cannot be rendered
 */
export function renderConfigDocs(markdown: string): string {
  const lines = markdown.split('\n')
  for (const [section, title] of Object.entries(DOC_SECTIONS)) {
    replaceTable(lines, `### ${title}`, sectionTable(section as keyof typeof DOC_SECTIONS))
  }
  replaceTable(lines, ENV_HEADING, envTable())
  return lines.join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const before = readFileSync(DOCS_PATH, 'utf8')
  const after = renderConfigDocs(before)
  writeFileSync(DOCS_PATH, after)
  console.log(
    before === after ? 'docs/configuration.md is up to date' : 'docs/configuration.md rewritten',
  )
}
