/** Process entry: runs main() and turns errors into one clear line (no stack) and an exit code. */
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ai-art: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.AI_ART_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
