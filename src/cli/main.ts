#!/usr/bin/env node
/**
 * `npx authx-ts`: the command line. Picks the command, parses its arguments, runs it, and turns
 * every error into one line on standard error and an exit code (0 done, 1 failed, 2 misuse), never
 * a stack: a stack would tell a user nothing and could echo what they pasted.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs'
import { parseCommandArgs, printHelp } from './args.ts'
import type { Command } from './args.ts'
import { decodeCommand } from './decode.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, CommandFailure } from './io.ts'
import type { CommandIO } from './io.ts'
import { jwksCommand } from './jwks.ts'
import { keygenCommand } from './keygen.ts'
import { rotateCommand } from './rotate.ts'
import { verifyCommand } from './verify.ts'

/** Every command, in the order the help lists them. */
const COMMANDS: readonly Command[] = [
  keygenCommand,
  jwksCommand,
  decodeCommand,
  verifyCommand,
  rotateCommand,
]

/** The package's version: `package.json` sits two folders up, from `src/cli` and `dist/cli` alike. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'Usage: authx-ts <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  --help, -h     this help; "authx-ts <command> --help" for a command\'s',
    '  --version, -v  the version of authx-ts',
    '',
  ].join('\n')
}

/**
 * Runs the command line.
 *
 * @param argv - the arguments after the program's name
 * @param io - the streams to talk through
 * @returns the exit code
 */
async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    io.err(usage())
    return EXIT_USAGE
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(usage())
    return EXIT_OK
  }
  if (name === '--version' || name === '-v') {
    io.out(`${version()}\n`)
    return EXIT_OK
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    io.err(`authx-ts: unknown command ${JSON.stringify(name)}\n\n${usage()}`)
    return EXIT_USAGE
  }
  try {
    const { values, positionals, help } = parseCommandArgs(command, rest)
    if (help) {
      printHelp(command, io)
      return EXIT_OK
    }
    return await command.run(values, positionals, io)
  } catch (error) {
    if (error instanceof UsageError || error instanceof CommandFailure) {
      io.err(`authx-ts ${command.name}: ${error.message}\n`)
      return error.exitCode
    }
    // Anything else is unexpected: its message, without the stack.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    io.err(`authx-ts ${command.name}: ${message}\n`)
    return EXIT_FAILURE
  }
}

/** Standard input, read once; refused when it is a terminal, so a forgotten token does not hang. */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY === true) {
    throw new UsageError('nothing on standard input: pass the value as an argument, or pipe it in')
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const io: CommandIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin,
  env: process.env,
}

process.exitCode = await main(process.argv.slice(2), io)
