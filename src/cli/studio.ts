/** `ai-art studio [--port 7860] [--host 127.0.0.1] [--open]`: the local web app (src/studio). */
import { spawn } from 'node:child_process';
import { studioCommand as studioSchema } from '../options/commands/studio.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function studioCommand(argv: string[]): Promise<number> {
  const args = parseCli(studioSchema, argv);
  if (!args) return 0;
  if (args.positionals.length) throw new UsageError(`usage: ${studioSchema.usage}`);
  const { host, port, home, runs, datasets } = args.options;
  if (!LOOPBACK.has(host)) {
    process.stderr.write(
      `warning: listening on ${host}: anyone who can reach this address can use the studio, upload files and run jobs on this machine. ` +
        'It has no authentication; keep it on 127.0.0.1 unless you trust the network.\n',
    );
  }
  const { createStudio } = await import('../studio/server.js');
  const studio = await createStudio({ host, port, home, runRoots: runs, datasetRoots: datasets });
  process.stderr.write(`ai-art studio on ${studio.url} (data in ${studio.store.home}); Ctrl-C stops it\n`);
  if (args.options.open) {
    const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(cmd, [studio.url], { stdio: 'ignore', detached: true })
      .on('error', () => process.stderr.write(`could not open a browser; visit ${studio.url}\n`))
      .unref();
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.stderr.write('stopping the studio (running jobs start again next time)\n');
  await studio.close();
  return 0;
}
