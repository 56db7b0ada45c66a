/** Every command's schema, for the CLI reference, the studio and job files. */
import type { Command } from '../command.js';
import { cycleganTestCommand, cycleganTrainCommand, combineCommand, pix2pixTestCommand, pix2pixTrainCommand, translateCommand } from './gan.js';
import { demoCommand, exploreCommand, styleCommand } from './style.js';
import { exportCommand, modelsCommand } from './weights.js';
import { BATCH_COMMANDS, workerCommand } from './batch.js';
import { fastStylizeCommand } from './fast.js';
import { fastTrainCommand } from './fast_train.js';
import { studioCommand } from './studio.js';

export { styleCommand, exploreCommand, demoCommand } from './style.js';
export { cycleganTrainCommand, cycleganTestCommand, pix2pixTrainCommand, pix2pixTestCommand, translateCommand, combineCommand } from './gan.js';
export { modelsCommand, exportCommand } from './weights.js';
export { batchRunCommand, batchSubmitCommand, batchStatusCommand, batchWaitCommand, batchCancelCommand, batchResultsCommand, workerCommand } from './batch.js';
export { fastStylizeCommand } from './fast.js';
export { fastTrainCommand } from './fast_train.js';
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
  fastStylizeCommand,
  fastTrainCommand,
  modelsCommand,
  exportCommand,
  ...BATCH_COMMANDS,
  workerCommand,
  studioCommand,
];

export function commandByName(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
