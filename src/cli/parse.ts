/** A command line read against its command's schema: `--help` printed, options resolved. */
import { parseArgv, type ParsedArgv } from '../options/argv.js';
import type { Command } from '../options/command.js';
import { helpText } from '../options/help.js';
import type { Static, TObject, TProperties } from '../options/schema.js';

export interface CliArgs<O> extends Omit<ParsedArgv, 'values'> {
  options: O;
}

/** null when help was asked for (and printed). Throws UsageError/OptionError on a wrong value. */
export function parseCli<P extends TProperties>(cmd: Command<P>, argv: readonly string[]): CliArgs<Static<TObject<P>>> | null {
  const p = parseArgv(cmd, argv);
  if (p.help) {
    process.stdout.write(helpText(cmd));
    return null;
  }
  const { values, ...rest } = p;
  return { ...rest, options: cmd.resolve(values) };
}
