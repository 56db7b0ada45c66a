/** `ai-art fast SUBCOMMAND`: fast (feed-forward) style transfer. One line per subcommand. */
import { UsageError } from './args.js';

const SUBCOMMANDS: Record<string, { help: string; run: () => Promise<(argv: string[]) => Promise<number>> }> = {
  stylize: { help: 'INPUT... --model NAME|FILE.pth|FILE.onnx -o OUT: pictures, folders and videos', run: async () => (await import('./fast_stylize.js')).fastStylizeCommand },
  // fast train (branch fast-train)
  train: { help: '--dataset DIR --style-image FILE --save-model-dir DIR: train a TransformerNet for one style', run: async () => (await import('./fast_train.js')).fastTrainCommand },
};

export async function fastCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const c = sub ? SUBCOMMANDS[sub] : undefined;
  if (!c) {
    const rows = Object.entries(SUBCOMMANDS).map(([k, s]) => `  ai-art fast ${k} ${s.help}`).join('\n');
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(`usage:\n${rows}\n`);
      return sub ? 0 : 2;
    }
    throw new UsageError(`unknown subcommand '${sub}'; usage:\n${rows}`);
  }
  return (await c.run())(rest);
}
