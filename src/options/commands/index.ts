/** Every command's schema, for the CLI reference, the studio and job files. */
import type { Command } from '../command.js';
import { cycleganTestCommand, cycleganTrainCommand, combineCommand, pix2pixTestCommand, pix2pixTrainCommand, translateCommand } from './gan.js';
import { demoCommand, exploreCommand, styleCommand } from './style.js';
import { exportCommand, modelsCommand } from './weights.js';
import { studioCommand } from './studio.js';

export { styleCommand, exploreCommand, demoCommand } from './style.js';
export { cycleganTrainCommand, cycleganTestCommand, pix2pixTrainCommand, pix2pixTestCommand, translateCommand, combineCommand } from './gan.js';
export { modelsCommand, exportCommand } from './weights.js';
export { studioCommand } from './studio.js';

/** In the order the CLI reference lists them. */
export const COMMANDS: readonly Command[] = [
  styleCommand,
  exploreCommand,
  demoCommand,
  translateCommand,
  cycleganTrainCommand,
  cycleganTestCommand,
  pix2pixTrainCommand,
  pix2pixTestCommand,
  combineCommand,
  modelsCommand,
  exportCommand,
  studioCommand,
];

export function commandByName(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
