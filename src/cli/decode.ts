/**
 * `authx-ts decode`: the header and claims of a token, with its times as dates, marked UNVERIFIED
 * on every output: decoding checks no signature, so nothing it shows may be trusted.
 *
 * @packageDocumentation
 */
import type { Command, OptionValues } from './args.ts'
import { EXIT_OK, json, readToken } from './io.ts'
import type { CommandIO } from './io.ts'
import { decodeParts, timeDates, timeLines } from './token-view.ts'

const HELP = `
Usage: authx-ts decode [TOKEN | -] [--json]

Prints a token's header and claims, with exp, iat and nbf also as ISO dates. The signature is NOT
checked: use "authx-ts verify" to know whether the token is genuine. The token is read from
standard input when it is "-" or absent (which keeps it out of the shell's history); a leading
"Bearer " is ignored.

  --json   one JSON object: { verified: false, header, claims, dates }

Exit codes: 0 decoded, 2 not a readable token.
`

/** The banner every text output starts with. */
export const UNVERIFIED_BANNER =
  'UNVERIFIED: the signature was not checked; do not trust these values.'

async function run(
  values: OptionValues,
  positionals: readonly string[],
  io: CommandIO,
): Promise<number> {
  const { header, claims } = decodeParts(await readToken(positionals, io))
  if (values.json === true) {
    io.out(json({ verified: false, header, claims, dates: timeDates(claims) }))
    return EXIT_OK
  }
  const times = timeLines(claims, Date.now() / 1000)
  io.out(
    [
      UNVERIFIED_BANNER,
      '',
      'Header:',
      json(header),
      'Claims:',
      json(claims),
      ...(times.length > 0 ? ['Times (UTC):', ...times, ''] : []),
    ].join('\n'),
  )
  return EXIT_OK
}

/** `authx-ts decode`. */
export const decodeCommand: Command = {
  name: 'decode',
  summary: 'print the header and claims of a token, UNVERIFIED',
  help: HELP,
  options: { json: { type: 'boolean' } },
  positionals: true,
  run,
}
