/** The options stamp (PNG tEXt, src/images/pngtext.ts) every picture of a GAN run carries. */
import path from 'node:path';
import { optionsStamp } from '../../images/pngtext.js';
import type { GanPhaseKind, ParsedGanOptions } from '../options.js';

const COMMAND: Record<string, string> = { cycle_gan: 'cyclegan', pix2pix: 'pix2pix', test: 'test' };

/** `{ai-art: {command: 'cyclegan train', options: <the run's options>, inputs: {dataroot}}}`. */
export function ganStamp(parsed: ParsedGanOptions, phase: GanPhaseKind): Record<string, string> {
  const options: Record<string, unknown> = {};
  // isTrain is the reference's internal flag, not an option.
  for (const [k, v] of parsed.values) if (k !== 'isTrain') options[k] = v;
  const model = String(parsed.values.get('model') ?? 'cycle_gan');
  const dataroot = String(parsed.values.get('dataroot') ?? '');
  return optionsStamp(`${COMMAND[model] ?? model} ${phase}`, options, dataroot ? { dataroot: path.basename(dataroot) } : undefined);
}
