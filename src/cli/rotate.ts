/**
 * `authx-ts rotate`: rotates a key ring kept in Redis now, as `auth.rotateKeys()` would from an
 * instance, and prints the ring before and after. The ring's own algorithm is kept; the command
 * never removes a replaced key on its own schedule (it cannot know the application's token
 * lifetimes unless told with `--retention`), so the instances retire keys as they always do.
 *
 * @packageDocumentation
 */
import { AuthX } from '../authx.ts'
import type { RingKeyInfo } from '../core/key-ring.ts'
import { BadConfigurationError } from '../errors.ts'
import { parseDuration } from '../internal/duration.ts'
import type { Algorithm } from '../token/keys.ts'
import { stringValue } from './args.ts'
import type { Command, OptionValues } from './args.ts'
import { CommandFailure, EXIT_OK, UsageError, json } from './io.ts'
import type { CommandIO } from './io.ts'
import { currentKey, readRingDocument } from './ring-document.ts'
import { RING_OPTIONS, describeRing, ringLocation, withRedisStore } from './redis.ts'
import { isoDate } from './token-view.ts'

const HELP = `
Usage: authx-ts rotate --redis URL [--ring NAME] [--prefix PREFIX] [--revoke-previous]
                       [--encryption-key KEY] [--rotate-every DURATION] [--retention DURATION]
                       [--json]

Rotates a key ring now, as auth.rotateKeys() does: the next key, already published, starts
signing, and a new next key is made. Every instance on the same Redis follows within its refresh
interval (a minute at most). Prints the ring before and after.

  --redis URL             the Redis the application's RedisStore uses (redis:// or rediss://)
  --ring NAME             keyRing.name (default "default")
  --prefix PREFIX         the RedisStore key prefix (default "authx:")
  --revoke-previous       drop every older key at once, for a suspected leak: every token they
                          signed stops verifying, which logs out every user (refresh tokens too)
  --encryption-key KEY    the secret(s) sealing the ring's private keys, newest first, comma-
                          separated (default: JWT_KEY_ENCRYPTION_KEY; prefer the variable, an
                          argument is visible in the process list)
  --rotate-every DURATION when the new next key will take over (default: the ring's current
                          period, the gap between its current and next keys, else 30d)
  --retention DURATION    the application's longest token lifetime plus leeway; given, replaced
                          keys older than that are removed now and the output shows when each
                          retires; without it, no key is removed but by --revoke-previous
  --json                  { before, after }, each auth.keyRingStatus()

Exit codes: 0 rotated, 1 no ring or Redis unreachable, 2 misuse or a wrong encryption key.
`

/** What the command keeps when it is not told the retention: longer than any token lives. */
const KEEP_EVERYTHING = 100 * 365 * 86400

function durationOption(values: OptionValues, name: string): number | undefined {
  const given = stringValue(values, name)
  if (given === undefined) return undefined
  const seconds = parseDuration(/^\d+(\.\d+)?$/.test(given) ? Number(given) : given)
  if (seconds === undefined || !(seconds > 0)) {
    throw new UsageError(`--${name} ${given}: expected a duration such as 30d, 12h or 3600`)
  }
  return seconds
}

/** The ring's algorithm and its period, as the stored document shows them. */
function readRing(
  text: string,
  now: number,
  where: string,
): { algorithm: Algorithm; period: number | undefined } {
  const keys = readRingDocument(text, where)
  const current = currentKey(keys, now)
  const next = keys.find((k) => k.activatesAt > now)
  const period = next === undefined ? undefined : next.activatesAt - current.activatesAt
  return { algorithm: current.alg, period: period !== undefined && period > 0 ? period : undefined }
}

function statusLines(status: readonly RingKeyInfo[], retention: boolean): string[] {
  const rows = status.map((k) => [
    k.kid,
    k.alg,
    k.state,
    isoDate(k.activatesAt),
    k.retiresAt === null ? '-' : retention ? isoDate(k.retiresAt) : 'by the instances',
  ])
  const header = ['KID', 'ALG', 'STATE', 'SIGNS FROM', 'RETIRES']
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  )
  return [header, ...rows].map((row) =>
    `  ${row.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ')}`.trimEnd(),
  )
}

async function run(
  values: OptionValues,
  _positionals: readonly string[],
  io: CommandIO,
): Promise<number> {
  const location = ringLocation(values)
  const where = describeRing(location)
  const secrets = (stringValue(values, 'encryption-key') ?? io.env.JWT_KEY_ENCRYPTION_KEY)
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (secrets === undefined || secrets.length === 0) {
    throw new UsageError(
      "the ring's encryption key is needed: set JWT_KEY_ENCRYPTION_KEY or pass --encryption-key",
    )
  }
  const rotateEvery = durationOption(values, 'rotate-every')
  const retention = durationOption(values, 'retention')
  const revokePrevious = values['revoke-previous'] === true
  const { before, after } = await withRedisStore(location, async (store) => {
    const stored = await store.getKeyRing(location.name)
    // An instance creates its ring on first start; this command only rotates one that exists.
    if (stored === null)
      throw new CommandFailure(`no ${where}: an application creates it on its first start`)
    const ring = readRing(stored.document, Date.now() / 1000, where)
    const period = rotateEvery ?? ring.period ?? 30 * 86400
    const lifetime = retention ?? KEEP_EVERYTHING
    let auth: AuthX
    try {
      auth = new AuthX({
        keyRing: {
          algorithm: ring.algorithm,
          rotateEvery: period,
          publishAhead: Math.min(3600, period),
          encryptionKey: secrets,
          name: location.name,
        },
        store,
        // The retention of replaced keys is computed from these lifetimes (keyRing's rule).
        accessTokenExpires: lifetime,
        refreshTokenExpires: lifetime,
      })
      await auth.ready()
    } catch (error) {
      if (error instanceof BadConfigurationError) throw new UsageError(error.message)
      throw error
    }
    const before = auth.keyRingStatus() ?? []
    await auth.rotateKeys({ revokePrevious })
    return { before, after: auth.keyRingStatus() ?? [] }
  })
  if (values.json === true) {
    const shown = (list: readonly RingKeyInfo[]) =>
      retention === undefined ? list.map((k) => ({ ...k, retiresAt: null })) : list
    io.out(json({ before: shown(before), after: shown(after) }))
    return EXIT_OK
  }
  io.out(
    [
      `Before (${where}):`,
      ...statusLines(before, retention !== undefined),
      '',
      revokePrevious ? 'Rotated; every older key was dropped (revoke-previous).' : 'Rotated.',
      '',
      'After:',
      ...statusLines(after, retention !== undefined),
      '',
      'Every instance on this store follows within its refresh interval (a minute at most).',
      '',
    ].join('\n'),
  )
  return EXIT_OK
}

/** `authx-ts rotate`. */
export const rotateCommand: Command = {
  name: 'rotate',
  summary: 'rotate a key ring kept in Redis now (optionally revoking the old keys)',
  help: HELP,
  options: {
    ...RING_OPTIONS,
    'revoke-previous': { type: 'boolean' },
    'encryption-key': { type: 'string' },
    'rotate-every': { type: 'string' },
    retention: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: false,
  run,
}
