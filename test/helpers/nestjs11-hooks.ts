/**
 * Module resolve hook (registered by `nestjs11-register.ts`) that resolves NestJS, and the
 * packages that must be one copy with it, from the NestJS 11 fixture instead of the project's own
 * node_modules. It resolves them as if they were imported from a file in the fixture, so Node's
 * ordinary lookup finds the fixture's copy; a result outside the fixture (its node_modules is
 * missing, so the lookup walked up to the project's NestJS 12) throws instead of passing
 * silently. NestJS's own `require` calls start inside the fixture and need no hook.
 */
import type { ResolveFnOutput, ResolveHookContext } from 'node:module'
import { fromNestjs11Fixture, NESTJS11_FIXTURE_URL, NESTJS11_INSTALL_COMMAND } from './nestjs11.ts'

const parentInFixture = new URL('package.json', NESTJS11_FIXTURE_URL).href
const fixtureModules = new URL('node_modules/', NESTJS11_FIXTURE_URL).href

/** Node's resolve hook: see the module comment. */
export async function resolve(
  specifier: string,
  context: ResolveHookContext,
  nextResolve: (
    specifier: string,
    context?: Partial<ResolveHookContext>,
  ) => ResolveFnOutput | Promise<ResolveFnOutput>,
): Promise<ResolveFnOutput> {
  if (!fromNestjs11Fixture(specifier)) return nextResolve(specifier, context)
  const resolved = await nextResolve(specifier, { ...context, parentURL: parentInFixture })
  if (!resolved.url.startsWith(fixtureModules)) {
    throw new Error(
      `${specifier} resolved to ${resolved.url}, outside the NestJS 11 fixture: ` +
        `install it with \`${NESTJS11_INSTALL_COMMAND}\``,
    )
  }
  return resolved
}
