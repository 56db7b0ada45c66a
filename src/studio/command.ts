/** A job as the equivalent `ai-art` command line, and the options stamp its PNGs carry. */
import { optionsStamp } from '../images/pngtext.js';
import { STYLE_OPTIONS_SCHEMA, TRAIN_SCHEMAS, type ObjectSchema } from './schemas.js';
import type { JobRecord } from './types.js';

/** POSIX shell quoting, only where needed. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Options as flags, by the schema's x-flag; defaults left out where a switch is off. */
function flags(o: Record<string, unknown>, schema: ObjectSchema): string[] {
  const args: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    const p = schema.properties[k];
    if (!p || v === undefined || v === null || v === '') continue;
    const flag = `--${p['x-flag']}`;
    if (p.type === 'boolean') {
      if (v === true) args.push(flag);
      else if (p.default === undefined) args.push(`--no-${p['x-flag']}`);
    } else args.push(flag, Array.isArray(v) ? v.join(',') : String(v));
  }
  return args;
}

function styleArgs(job: JobRecord): string[] {
  const args = flags(job.request.options ?? {}, STYLE_OPTIONS_SCHEMA);
  const styles = job.request.styles ?? [];
  if (styles.some((s) => s.weight !== undefined)) args.push('--style-blend-weights', styles.map((s) => s.weight ?? 1).join(','));
  return args;
}

export function commandLine(job: JobRecord): string {
  const n = job.inputNames;
  let words: string[];
  if (job.kind === 'style') {
    const styles = (job.request.styles ?? []).map((_, i) => n[`style${i}`] ?? `style${i}.png`);
    words = ['ai-art', 'style', n.content ?? 'content.png', ...styles, '-o', 'out.png', ...styleArgs(job)];
  } else if (job.kind !== 'explore') {
    const t = job.request.train!;
    const data = n.dataset ?? t.dataset.name;
    const run = t.name ?? 'run';
    words =
      job.kind === 'fast-train'
        ? ['ai-art', 'fast', 'train', '--dataset', data, '--style-image', n.styleImage ?? 'style.png', '--save-model-dir', run]
        : ['ai-art', job.kind === 'cyclegan-train' ? 'cyclegan' : 'pix2pix', 'train', '--dataroot', data, '--name', run];
    words.push(...flags(t.options ?? {}, TRAIN_SCHEMAS[job.kind]));
  } else {
    const e = job.request.explore!;
    words = ['ai-art', 'explore', e.experiment, n.image ?? 'image.png', '--layers', e.layer];
    for (const k of ['size', 'iterations', 'weights', 'seed'] as const) if (e[k] !== undefined) words.push(`--${k}`, String(e[k]));
    words.push('-o', 'sheet.png');
  }
  return words.map(shellQuote).join(' ');
}

export function styleStamp(job: JobRecord): Record<string, string> {
  const styles = job.request.styles ?? [];
  const options: Record<string, unknown> = { ...(job.request.options ?? {}) };
  if (styles.some((s) => s.weight !== undefined)) options.styleBlendWeights = styles.map((s) => s.weight ?? 1);
  return optionsStamp('style', options, {
    content: job.inputNames.content ?? 'content.png',
    styles: styles.map((_, i) => job.inputNames[`style${i}`] ?? `style${i}.png`),
  });
}
