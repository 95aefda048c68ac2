/**
 * docs/configuration.md's option tables are rendered from the option table
 * (scripts/config-docs.ts); this fails when someone edits one without the other. Fix it with
 * `npm run docs:config`, after moving any new text into the option's row.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { DOCS_PATH, renderConfigDocs } from '../../scripts/config-docs.ts'
import { envName, ENV_READERS } from '../../src/config/env.ts'
import { KINDS, OPTION_NAMES, OPTION_ROWS } from '../../src/config/schema.ts'

const docs = readFileSync(DOCS_PATH, 'utf8')

/** The lines of the docs that are table rows naming `option` first. */
const rowsOf = (markdown: string, option: string): string[] =>
  markdown.split('\n').filter((line) => line.startsWith(`| \`${option}\` `))

void describe('configuration docs', () => {
  void test('the option tables are what the schema renders (run `npm run docs:config`)', () => {
    const rendered = renderConfigDocs(docs)
    const differ = docs
      .split('\n')
      .map((line, i) => [line, rendered.split('\n')[i]] as const)
      .filter(([line, want]) => line !== want)
    assert.deepEqual(differ, [], 'docs/configuration.md differs from the schema')
    assert.equal(rendered, docs)
  })

  void test('a hand edit of a cell, a row or a table is noticed and undone', () => {
    const edited = [
      docs.replace("`'Authorization'`", "`'X-Authorization'`"),
      docs.replace(/^\| `jsonKey` .*\n/m, ''),
      docs.replace(/^\| `clock` .*$/m, '$&\n| `extra` | x | x | x |'),
    ]
    for (const text of edited) {
      assert.notEqual(text, docs, 'the edit applies')
      assert.equal(renderConfigDocs(text), docs)
    }
  })

  void test('every option has exactly one row, with its variable unless it is code-only', () => {
    for (const name of OPTION_NAMES) {
      const rows = rowsOf(docs, name)
      assert.equal(rows.length, 1, name)
      const env = KINDS[OPTION_ROWS[name].kind].env
      assert.equal(rows[0]?.includes(`\`${envName(name)}\``), env !== null, name)
    }
  })

  void test('the environment table names only options its reader really reads', () => {
    const { options } = ENV_READERS.string
    for (const [, name] of options.matchAll(/`(\w+)`/g)) {
      assert.ok(name !== undefined && name in OPTION_ROWS, name)
      assert.equal(KINDS[OPTION_ROWS[name as keyof typeof OPTION_ROWS].kind].env, 'string', name)
    }
  })

  void test('a missing section is an error, not a silently skipped table', () => {
    assert.throws(
      () => renderConfigDocs(docs.replace('### Cookies', '### Biscuits')),
      /no heading "### Cookies"/,
    )
  })
})
