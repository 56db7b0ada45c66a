/**
 * Walks every command's schema: each option parses in its official and its `_`/`-` exchanged
 * spelling, an out-of-range value is refused with a message naming the option, every option is
 * in --help, and docs/cli.md is what the schemas generate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMANDS, helpText, OptionError, parseArgv, UsageError, type Command, type OptionInfo } from '../../src/options/index.js';
import { cliReference } from '../../src/options/reference.js';

/** A value the option accepts, as typed on a command line, and what it parses to. */
function validArg(i: OptionInfo): { raw?: string; value: unknown } {
  switch (i.kind) {
    case 'boolean':
      return { value: true };
    case 'choice': {
      const c = i.choices![i.choices!.length - 1];
      return { raw: c, value: c };
    }
    case 'int': {
      const v = i.maximum ?? (i.minimum ?? 0) + 2;
      return { raw: String(v), value: v };
    }
    case 'number': {
      const v = i.maximum ?? (i.minimum ?? i.exclusiveMinimum ?? 0) + 0.5;
      return { raw: String(v), value: v };
    }
    case 'numbers':
      return { raw: '0.5,2', value: [0.5, 2] };
    case 'strings':
      return { raw: 'conv1_1,conv2_1', value: ['conv1_1', 'conv2_1'] };
    default:
      return { raw: 'some-text', value: 'some-text' };
  }
}

function otherSpelling(flag: string): string {
  return flag.includes('_') ? flag.replace(/_/g, '-') : flag.includes('-') ? flag.replace(/-/g, '_') : flag;
}

/** A value outside the option's range or choices, or undefined when every value of its type is allowed. */
function invalidArg(i: OptionInfo): unknown {
  if (i.kind === 'choice') return 'not-a-choice';
  if (i.kind === 'int' || i.kind === 'number') {
    if (i.minimum !== undefined) return i.minimum - 1;
    if (i.exclusiveMinimum !== undefined) return i.exclusiveMinimum;
    if (i.maximum !== undefined) return i.maximum + 1;
  }
  if (i.kind === 'numbers' && i.minimum !== undefined) return [i.minimum - 1];
  return undefined;
}

for (const cmd of COMMANDS as readonly Command[]) {
  test(`${cmd.name}: every option parses in both spellings and lands on its key`, () => {
    for (const i of cmd.info) {
      for (const flag of new Set([i.flag, otherSpelling(i.flag), ...i.aliases])) {
        const { raw, value } = validArg(i);
        const dash = flag.length === 1 ? '-' : '--';
        const argv = raw === undefined ? [`${dash}${flag}`] : [`${dash}${flag}`, raw];
        const p = parseArgv(cmd, argv);
        assert.deepEqual(p.values[i.key], value, `${cmd.name} ${argv.join(' ')}`);
        assert.ok(p.given.has(i.key));
      }
    }
  });

  test(`${cmd.name}: out-of-range values are refused naming the option`, () => {
    const required = Object.fromEntries(cmd.info.filter((i) => i.required).map((i) => [i.key, validArg(i).value]));
    for (const i of cmd.info) {
      const bad = invalidArg(i);
      if (bad === undefined) continue;
      assert.throws(
        () => cmd.resolve({ ...required, [i.key]: bad }),
        (e: Error) => e instanceof OptionError && e.message.includes(`--${i.flag}`) && (e as OptionError).option === i.key,
        `${cmd.name} ${i.key}=${String(bad)}`,
      );
    }
    const numeric = cmd.info.filter((i) => i.kind === 'int');
    for (const i of numeric) assert.throws(() => parseArgv(cmd, [`--${i.flag}`, '1.5']), (e: Error) => e instanceof UsageError && e.message.includes(`--${i.flag}`));
    assert.throws(() => cmd.resolve({ noSuchOption: 1 }), /unknown option 'noSuchOption'/);
  });

  test(`${cmd.name}: --help lists every option with its default`, () => {
    const help = helpText(cmd);
    for (const i of cmd.info) {
      assert.ok(help.includes(`--${i.flag}`), `${cmd.name} --help lacks --${i.flag}`);
      if (typeof i.default === 'number' || (typeof i.default === 'string' && i.default !== ''))
        assert.ok(help.includes(`default: ${String(i.default)}`), `${cmd.name} --help lacks the default of --${i.flag}`);
    }
  });
}

test('defaults come from the schema and per-model defaults differ where the official code changes them', () => {
  const byName = new Map(COMMANDS.map((c) => [c.name, c as Command]));
  const style = byName.get('style')!.resolve({}) as Record<string, unknown>;
  assert.equal(style.size, 512);
  assert.equal(style.iterations, 500);
  const cyc = byName.get('cyclegan train')!.resolve({}) as Record<string, unknown>;
  const p2p = byName.get('pix2pix train')!.resolve({}) as Record<string, unknown>;
  assert.deepEqual([cyc.norm, cyc.netG, cyc.gan_mode, cyc.pool_size], ['instance', 'resnet_9blocks', 'lsgan', 50]);
  assert.deepEqual([p2p.norm, p2p.netG, p2p.gan_mode, p2p.pool_size, p2p.dataset_mode], ['batch', 'unet_256', 'vanilla', 0, 'aligned']);
  const test2 = byName.get('pix2pix test')!.resolve({}) as Record<string, unknown>;
  assert.equal(test2.load_size, 256, "test_options.py sets load_size to crop_size's default");
});

test('JSON Schema of a command carries ranges, defaults and form hints', () => {
  const s = COMMANDS.find((c) => c.name === 'style')!.jsonSchema() as { properties: Record<string, Record<string, unknown>>; additionalProperties: boolean };
  assert.equal(s.additionalProperties, false);
  assert.equal(s.properties.size.type, 'integer');
  assert.equal(s.properties.size.minimum, 16);
  assert.equal(s.properties.size.default, 512);
  assert.deepEqual(s.properties.optimizer.enum, ['lbfgs', 'adam']);
  assert.equal(s.properties.tileSize['x-advanced'], true);
  assert.equal(typeof s.properties.size.description, 'string');
});

test('docs/cli.md is what the schemas generate (run `npm run docs:cli` after changing an option)', () => {
  const onDisk = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
  assert.equal(onDisk, cliReference());
});
