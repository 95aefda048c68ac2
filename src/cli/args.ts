/**
 * The arguments of one command, parsed with `node:util`'s `parseArgs` in strict mode: an unknown
 * option, a missing value or a stray argument is a {@link UsageError} that points at the
 * command's help, never a stack.
 *
 * @packageDocumentation
 */
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { isAlgorithm } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import { UsageError } from './io.ts'
import type { CommandIO } from './io.ts'

/** The options a command declares, as `parseArgs` takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>

/** The parsed values: strings, booleans, and arrays of them for options that may repeat. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>

/** One subcommand of `authx-ts`. */
export interface Command {
  /** Its name on the command line. */
  readonly name: string
  /** One line for the list of commands. */
  readonly summary: string
  /** The text of `authx-ts <name> --help`. */
  readonly help: string
  /** Its options (`--help` is added to every command). */
  readonly options: OptionSpecs
  /** Whether it takes positional arguments (files, a token). */
  readonly positionals: boolean
  /**
   * Runs it.
   *
   * @param values - the parsed options
   * @param positionals - the positional arguments
   * @param io - the streams to talk through
   * @returns the exit code
   */
  run(values: OptionValues, positionals: readonly string[], io: CommandIO): Promise<number>
}

/**
 * Parses the arguments that follow a command's name.
 *
 * @param command - the command
 * @param argv - its arguments
 * @returns the values and positionals, or `help: true` when `--help` was asked for
 * @throws UsageError for an unknown option, a missing value or an unexpected argument
 */
export function parseCommandArgs(
  command: Command,
  argv: readonly string[],
): { values: OptionValues; positionals: string[]; help: boolean } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: command.positionals,
      strict: true,
    })
    const { help, ...rest } = values as OptionValues
    return { values: rest, positionals, help: help === true }
  } catch (error) {
    // parseArgs's messages name the option; the stack and its error code add nothing for a user.
    const message = error instanceof Error ? error.message : String(error)
    throw new UsageError(`${message.split('\n')[0]} (see authx-ts ${command.name} --help)`)
  }
}

/**
 * A string option's value.
 *
 * @param values - the parsed options
 * @param name - the option
 */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * A repeatable string option's values, in order.
 *
 * @param values - the parsed options
 * @param name - the option
 */
export function stringValues(values: OptionValues, name: string): string[] {
  const value = values[name]
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return list.filter((v): v is string => typeof v === 'string')
}

/**
 * The `--alg` option, checked against the supported algorithms.
 *
 * @param values - the parsed options
 * @param allowed - the algorithms this command accepts
 * @throws UsageError for an algorithm outside `allowed`
 */
export function algorithmValue(
  values: OptionValues,
  allowed: readonly Algorithm[],
): Algorithm | undefined {
  const alg = stringValue(values, 'alg')
  if (alg === undefined) return undefined
  if (!isAlgorithm(alg) || !allowed.includes(alg)) {
    throw new UsageError(`--alg ${alg}: expected one of ${allowed.join(', ')}`)
  }
  return alg
}

/**
 * Refuses options that cannot be used together.
 *
 * @param values - the parsed options
 * @param names - the options of which at most one may be given
 * @throws UsageError naming the options given together
 */
export function atMostOne(values: OptionValues, names: readonly string[]): void {
  const given = names.filter((name) => values[name] !== undefined)
  if (given.length > 1) {
    throw new UsageError(`${given.map((n) => `--${n}`).join(' and ')} cannot be used together`)
  }
}

/** Writes a command's help. */
export function printHelp(command: Command, io: CommandIO): void {
  io.out(`${command.help.trim()}\n`)
}
