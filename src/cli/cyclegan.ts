/** `ai-art cyclegan train|test [options]`: unpaired translation (trainA/, trainB/), as the official --model cycle_gan. */
import { ganCommand } from './gan.js';

export function cycleganCommand(argv: string[]): Promise<number> {
  return ganCommand('cycle_gan', 'cyclegan', argv);
}
