/**
 * A small stand-in for `node:test` that runs the conformance suite inside a runtime which has no
 * `node:test` (Cloudflare's workerd), and, so that every runtime is measured by the same rules,
 * inside Bun and Deno too. The bundler maps `node:test` to this module.
 *
 * It implements what the suite uses: `describe`, `test`/`it`, `before`, `after`, `beforeEach`,
 * `afterEach`, nested suites and async callbacks, with `node:test`'s order (declaration order,
 * hooks around the tests of their suite and of the nested ones). There is no skipping and no
 * `only`: a case either passes or is reported with its error.
 *
 * Registration is deferred: a top-level `describe` only queues its body, which runs when
 * {@link runRegistered} is called. Workers forbid randomness and I/O in the global scope, and a
 * suite body may build tokens.
 */

/** The outcome of one case. */
export interface CaseResult {
  /** The conformance file, e.g. `cookies.test.ts`. */
  readonly file: string
  /** The suite names and the case name, joined by ` > `. */
  readonly name: string
  /** Absent when the case passed. */
  readonly error?: string
  readonly ms: number
}

type Hook = () => unknown
type Body = (context: { name: string }) => unknown

interface Case {
  readonly kind: 'case'
  readonly name: string
  readonly fn: Body
}

interface Suite {
  readonly kind: 'suite'
  readonly name: string
  readonly file: string
  readonly children: (Suite | Case)[]
  readonly before: Hook[]
  readonly after: Hook[]
  readonly beforeEach: Hook[]
  readonly afterEach: Hook[]
  /** The body, until it has run. */
  body: (() => unknown) | undefined
  /** An error the body threw while registering: every case of the suite fails with it. */
  bodyError: unknown
}

/** How long one case or hook may take before it fails instead of holding the run. */
const TIMEOUT_MS = 30_000

function newSuite(name: string, file: string, body?: () => unknown): Suite {
  return {
    kind: 'suite',
    name,
    file,
    children: [],
    before: [],
    after: [],
    beforeEach: [],
    afterEach: [],
    body,
    bodyError: undefined,
  }
}

let currentFile = ''
const root = newSuite('', '')
/** The suite whose body is running, where new cases and hooks go. */
let current: Suite = root

/**
 * Names the file whose suites are registered next; the generated entry calls it before importing
 * each conformance file.
 *
 * @param file - the file name
 */
export function enterFile(file: string): void {
  currentFile = file
}

/** Runs a suite body now, so its cases and hooks register in order. */
function expand(suite: Suite): void {
  const body = suite.body
  if (body === undefined) return
  suite.body = undefined
  const parent = current
  current = suite
  try {
    const result = body()
    if (result instanceof Promise)
      throw new TypeError(`suite "${suite.name}" has an async body: cases must register at once`)
  } catch (error) {
    suite.bodyError = error
  } finally {
    current = parent
  }
  for (const child of suite.children) if (child.kind === 'suite') expand(child)
}

/**
 * Declares a suite, as `node:test`'s `describe`.
 *
 * @param name - the suite name
 * @param fn - registers the suite's cases and hooks
 */
export function describe(name: string, fn: () => unknown): Promise<void> {
  current.children.push(newSuite(name, current === root ? currentFile : current.file, fn))
  return Promise.resolve()
}

/**
 * Declares a case, as `node:test`'s `test`.
 *
 * @param name - the case name
 * @param fn - the case; it fails when it throws or rejects
 */
export function test(name: string, fn: Body): Promise<void> {
  if (current === root) throw new TypeError(`case "${name}" is outside any describe`)
  current.children.push({ kind: 'case', name, fn })
  return Promise.resolve()
}

/** `node:test`'s `it`, an alias of {@link test}. */
export const it = test

/**
 * Runs once before the first case of the current suite.
 *
 * @param fn - the hook
 */
export function before(fn: Hook): void {
  current.before.push(fn)
}

/**
 * Runs once after the last case of the current suite, even when cases failed.
 *
 * @param fn - the hook
 */
export function after(fn: Hook): void {
  current.after.push(fn)
}

/**
 * Runs before every case of the current suite and of its nested suites.
 *
 * @param fn - the hook
 */
export function beforeEach(fn: Hook): void {
  current.beforeEach.push(fn)
}

/**
 * Runs after every case of the current suite and of its nested suites.
 *
 * @param fn - the hook
 */
export function afterEach(fn: Hook): void {
  current.afterEach.push(fn)
}

/** Awaits `fn()` but fails after {@link TIMEOUT_MS}. */
async function withTimeout(what: string, fn: () => unknown): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not finish within ${TIMEOUT_MS} ms`))
    }, TIMEOUT_MS)
  })
  try {
    await Promise.race([Promise.resolve().then(fn), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  return String(error)
}

function now(): number {
  return typeof performance === 'undefined' ? Date.now() : performance.now()
}

/** Every case of a suite, with its full name, for failing them all at once. */
function casesOf(suite: Suite, prefix: string[]): { name: string }[] {
  const path = suite === root ? prefix : [...prefix, suite.name]
  return suite.children.flatMap((child) =>
    child.kind === 'case' ? [{ name: [...path, child.name].join(' > ') }] : casesOf(child, path),
  )
}

async function runSuite(
  suite: Suite,
  prefix: string[],
  eachBefore: Hook[],
  eachAfter: Hook[],
  out: CaseResult[],
): Promise<void> {
  const path = suite === root ? prefix : [...prefix, suite.name]
  const fail = (error: unknown): void => {
    for (const { name } of casesOf(suite, prefix))
      out.push({ file: suite.file, name, error: describeError(error), ms: 0 })
  }
  if (suite.bodyError !== undefined) {
    fail(suite.bodyError)
    return
  }
  try {
    for (const hook of suite.before) await withTimeout(`before hook of ${path.join(' > ')}`, hook)
  } catch (error) {
    fail(error)
    return
  }
  const before = [...eachBefore, ...suite.beforeEach]
  const after = [...suite.afterEach, ...eachAfter]
  for (const child of suite.children) {
    if (child.kind === 'suite') {
      await runSuite(child, path, before, after, out)
      continue
    }
    const name = [...path, child.name].join(' > ')
    const started = now()
    let failure: unknown
    try {
      for (const hook of before) await withTimeout(`beforeEach hook of ${name}`, hook)
      await withTimeout(name, () => child.fn({ name: child.name }))
    } catch (error) {
      failure = error
    }
    try {
      for (const hook of after) await withTimeout(`afterEach hook of ${name}`, hook)
    } catch (error) {
      failure ??= error
    }
    const ms = Math.round(now() - started)
    out.push(
      failure === undefined
        ? { file: suite.file, name, ms }
        : { file: suite.file, name, error: describeError(failure), ms },
    )
  }
  try {
    for (const hook of suite.after) await withTimeout(`after hook of ${path.join(' > ')}`, hook)
  } catch (error) {
    const name = [...path, '(after hook)'].join(' > ')
    out.push({ file: suite.file, name, error: describeError(error), ms: 0 })
  }
}

/**
 * The full names of every registered case, without running any (suite bodies do run).
 *
 * @returns `file: name` of each case, in order
 */
export function listRegistered(): string[] {
  for (const child of root.children) if (child.kind === 'suite') expand(child)
  return root.children.flatMap((child) =>
    child.kind === 'suite' ? casesOf(child, []).map(({ name }) => `${child.file}: ${name}`) : [],
  )
}

/**
 * Runs every registered suite in order.
 *
 * @returns one result per case (and one per failing `after` hook)
 */
export async function runRegistered(): Promise<CaseResult[]> {
  for (const child of root.children) if (child.kind === 'suite') expand(child)
  const out: CaseResult[] = []
  // The root holds the top-level hooks (an `after` outside any describe), run around everything.
  await runSuite(root, [], [], [], out)
  return out
}
