/** `ai-art pix2pix train|test [options]`: paired translation (A|B pictures in train/), as the official --model pix2pix. */
import { ganCommand } from './gan.js';

export function pix2pixCommand(argv: string[]): Promise<number> {
  return ganCommand('pix2pix', 'pix2pix', argv);
}
