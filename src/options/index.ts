/** Options declared once per command: schemas, validation, command line, help and docs. */
export { opt, options, asWritten, describeAll, kebab, META_KEYS, type OptionInfo, type OptionKind, type OptionMeta, type PathKind, type Static, type TObject } from './schema.js';
export { defineCommand, allowed, flagName, type Command, type CommandSpec, type InputOf, type OptionsOf, type Positional, type CliFlag } from './command.js';
export { parseArgv, spellings, CLI_FLAGS, type ParsedArgv } from './argv.js';
export { helpText, markdown, grouped } from './help.js';
export { OptionError, UsageError } from './errors.js';
export { COMMANDS, commandByName } from './commands/index.js';
export * from './commands/index.js';
