/** The CLI reference (docs/cli.md), generated from every command's schema. */
import { COMMANDS } from './commands/index.js';
import { markdown } from './help.js';

export function cliReference(): string {
  const head = [
    '# ai-art command-line reference',
    '',
    '<!-- Generated from src/options/commands by `npm run docs:cli`; do not edit by hand. -->',
    '',
    'Every option is declared once, in `src/options/commands/`; this page, `--help`, validation, the library',
    "defaults and the studio's forms are all read off those declarations. Options are accepted as written here",
    'and with `_` and `-` exchanged (`--content-weight` or `--content_weight`, `--lambda_A` or `--lambda-A`).',
    '',
    ...COMMANDS.map((c) => `- [\`ai-art ${c.name}\`](#ai-art-${c.name.replace(/ /g, '-')})`),
    '',
  ];
  return `${[...head, ...COMMANDS.map((c) => markdown(c))].join('\n').trimEnd()}\n`;
}
