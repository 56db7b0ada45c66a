/** The `ai-art` command: a thin shell over the library, one module per subcommand. */
import { UsageError } from '../options/errors.js';

const COMMANDS: Record<string, { help: string; run: () => Promise<(argv: string[]) => Promise<number>> }> = {
  demo: { help: 'style transfer on built-in pictures, offline (the quick start)', run: async () => (await import('./demo.js')).demoCommand },
  style: { help: 'neural style transfer: CONTENT STYLE [STYLE...] -o OUT', run: async () => (await import('./style.js')).styleCommand },
  models: { help: 'pretrained weights: list | pull NAME | import FILE | path NAME', run: async () => (await import('./models.js')).modelsCommand },
  translate: { help: 'CycleGAN/pix2pix generators on images: INPUT... --model NAME_OR_FILE -o DIR', run: async () => (await import('./translate.js')).translateCommand },
  fast: { help: 'fast style transfer: stylize INPUT... --model NAME|FILE -o OUT (pictures, folders, video)', run: async () => (await import('./fast.js')).fastCommand },
  export: { help: 'write a network as a standalone ONNX model: onnx MODEL -o FILE.onnx', run: async () => (await import('./export.js')).exportCommand },
  explore: { help: 'per-layer experiments: strokes STYLE | content CONTENT', run: async () => (await import('./explore.js')).exploreCommand },
  cyclegan: { help: 'CycleGAN, unpaired translation: train | test (official train.py/test.py options)', run: async () => (await import('./cyclegan.js')).cycleganCommand },
  pix2pix: { help: 'pix2pix, paired translation: train | test (official train.py/test.py options)', run: async () => (await import('./pix2pix.js')).pix2pixCommand },
  batch: { help: 'many jobs from a job file: run JOBFILE | submit JOBFILE --redis URL | status | wait | cancel | results', run: async () => (await import('./batch.js')).batchCommand },
  worker: { help: 'run queued batch jobs: --redis URL [--concurrency N] [--threads N]', run: async () => (await import('./batch.js')).workerCommand },
  studio: { help: 'the local web app: studio [--port 7860] [--host 127.0.0.1] [--open]', run: async () => (await import('./studio.js')).studioCommand },
  combine: { help: 'A|B pairs for pix2pix: --fold_A DIR --fold_B DIR --fold_AB DIR', run: async () => (await import('./combine.js')).combineCommand },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  const rows = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}${c.help}`);
  return `usage: ai-art COMMAND [options]   (ai-art COMMAND --help for its options)\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(usage());
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`ai-art: unknown command '${cmd}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await c.run())(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ai-art ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
