/**
 * Where the NestJS 11 fixture lives and how it is installed: the project's devDependencies pin
 * NestJS 12, and `test/fixtures/nestjs11/` pins the latest NestJS 11 with its own lockfile, so
 * that the NestJS binding's suites can run against both majors the package supports.
 */
import { fileURLToPath } from 'node:url'

/** The fixture project's folder URL (with a trailing slash). */
export const NESTJS11_FIXTURE_URL = new URL('../fixtures/nestjs11/', import.meta.url)

/** The fixture project's folder. */
export const NESTJS11_FIXTURE_DIR = fileURLToPath(NESTJS11_FIXTURE_URL)

/** The command, run from the repository's root, that installs what the fixture's lockfile pins. */
export const NESTJS11_INSTALL_COMMAND = 'npm ci --prefix test/fixtures/nestjs11'

/**
 * Whether a bare specifier must come from the fixture: every `@nestjs/*` package, and the
 * packages NestJS keeps state in that must be one copy with it (the metadata registry behind
 * its decorators, and the Observable its interceptors and gateways check with `instanceof`).
 *
 * @param specifier - an import specifier as written
 */
export function fromNestjs11Fixture(specifier: string): boolean {
  return (
    specifier.startsWith('@nestjs/') ||
    specifier === 'reflect-metadata' ||
    specifier === 'rxjs' ||
    specifier.startsWith('rxjs/')
  )
}
