/** `--help` text and the CLI reference (docs/cli.md), both read off the schemas. */
import type { Command } from './command.js';
import { CLI_FLAGS } from './argv.js';
import type { OptionInfo, TProperties } from './schema.js';

function fmtDefault(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

function argOf(i: OptionInfo): string {
  if (i.kind === 'boolean') return '';
  if (i.metavar) return i.metavar;
  if (i.choices) return i.choices.join('|');
  return { int: 'N', number: 'X', string: 'TEXT', numbers: 'X,X,...', strings: 'A,B,...', choice: '', boolean: '' }[i.kind];
}

function bounds(i: OptionInfo): string {
  const lo = i.exclusiveMinimum !== undefined ? `> ${i.exclusiveMinimum}` : i.minimum !== undefined ? `≥ ${i.minimum}` : '';
  const hi = i.maximum !== undefined ? `≤ ${i.maximum}` : '';
  return [lo, hi].filter(Boolean).join(', ');
}

function notes(i: OptionInfo): string {
  const parts: string[] = [];
  if (i.required) parts.push('required');
  if (i.default !== undefined && i.default !== false && i.default !== '') parts.push(`default: ${fmtDefault(i.default)}`);
  const b = bounds(i);
  if (b) parts.push(b);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** Options grouped under their headings, in the command's order of groups. */
export function grouped(cmd: Pick<Command, 'info' | 'groups'>): [string, OptionInfo[]][] {
  const groups = new Map<string, OptionInfo[]>();
  for (const g of cmd.groups ?? []) groups.set(g, []);
  for (const i of cmd.info) {
    if (!groups.has(i.group)) groups.set(i.group, []);
    groups.get(i.group)?.push(i);
  }
  return [...groups].filter(([, v]) => v.length > 0);
}

function names(i: OptionInfo): string {
  return [i.flag, ...i.aliases].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
}

export function helpText<P extends TProperties>(cmd: Command<P>): string {
  const rows: (string | [string, string])[] = [];
  for (const [g, opts] of grouped(cmd)) {
    rows.push(`\n${g}:`);
    for (const i of opts) {
      const arg = argOf(i);
      rows.push([`  ${names(i)}${arg ? ` ${arg}` : ''}`, `${i.help}${notes(i)}`]);
    }
  }
  rows.push('\ncommand line:');
  for (const f of ['help', ...(cmd.cliFlags ?? [])] as const) {
    const c = CLI_FLAGS[f];
    rows.push([`  ${[f, ...c.aliases].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ')}`, c.help]);
  }
  const pairs = rows.filter((r): r is [string, string] => Array.isArray(r));
  const w = Math.min(44, Math.max(...pairs.map((r) => r[0].length)) + 2);
  const body = rows
    .map((r) => (typeof r === 'string' ? r : r[0].length >= w ? `${r[0]}\n${' '.repeat(w)}${r[1]}` : r[0].padEnd(w) + r[1]))
    .join('\n');
  const pos = (cmd.positionals ?? []).map((p) => `  ${p.name.padEnd(w - 2)}${p.help}`).join('\n');
  return `usage: ${cmd.usage}\n${cmd.description ? `\n${cmd.description}\n` : ''}${pos ? `\narguments:\n${pos}\n` : ''}${body}\n`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** One command's section of docs/cli.md. */
export function markdown<P extends TProperties>(cmd: Command<P>): string {
  const out: string[] = [`## \`ai-art ${cmd.name}\``, '', cmd.summary, '', '```', cmd.usage, '```', ''];
  if (cmd.description) out.push(cmd.description, '');
  if (cmd.positionals?.length) {
    out.push('| argument | meaning |', '| --- | --- |');
    for (const p of cmd.positionals) out.push(`| \`${p.name}\` | ${mdEscape(p.help)} |`);
    out.push('');
  }
  for (const [g, opts] of grouped(cmd)) {
    out.push(`**${g}**`, '', '| option | value | default | meaning |', '| --- | --- | --- | --- |');
    for (const i of opts) {
      const arg = argOf(i);
      const value = [arg ? `\`${mdEscape(arg)}\`` : 'switch', bounds(i)].filter(Boolean).join(' ');
      const def = i.required ? 'required' : i.default !== undefined && i.default !== '' ? `\`${mdEscape(fmtDefault(i.default))}\`` : '';
      out.push(`| \`${names(i)}\` | ${value} | ${def} | ${mdEscape(i.help)}${i.ignored ? ' (ignored here)' : ''} |`);
    }
    out.push('');
  }
  const flags = ['help', ...(cmd.cliFlags ?? [])].map((f) => `\`--${f}\``).join(', ');
  out.push(`Also: ${flags}.`, '');
  return out.join('\n');
}
