/** `ai-art studio [--port 7860] [--host 127.0.0.1] [--open]`: the local web app (src/studio). */
import { spawn } from 'node:child_process';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';

const OPTIONS: OptSpec[] = [
  { name: 'port', type: 'int', help: 'TCP port', default: 7860 },
  { name: 'host', type: 'string', help: 'address to listen on (anything but loopback exposes your machine: a warning is printed)', default: '127.0.0.1' },
  { name: 'open', type: 'boolean', help: 'open the studio in the default browser' },
  { name: 'home', type: 'string', help: 'folder for jobs, uploads and results (default: $AI_ART_HOME/studio)' },
  { name: 'runs', type: 'list', help: 'training folders the dashboard reads (comma-separated; default: ./checkpoints)' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];
const USAGE = 'ai-art studio [--port 7860] [--host 127.0.0.1] [--open]';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function studioCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, OPTIONS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(helpText(USAGE, OPTIONS, 'A local web app for style transfer, translation, layer experiments and training runs.'));
    return 0;
  }
  if (p.positionals.length) throw new UsageError(`usage: ${USAGE}`);
  const host = o.str('host')!;
  const port = o.num('port')!;
  if (!(port >= 0 && port < 65536)) throw new UsageError(`--port ${port}: use 0..65535`);
  if (!LOOPBACK.has(host)) {
    process.stderr.write(
      `warning: listening on ${host}: anyone who can reach this address can use the studio, upload files and run jobs on this machine. ` +
        'It has no authentication; keep it on 127.0.0.1 unless you trust the network.\n',
    );
  }
  const { createStudio } = await import('../studio/server.js');
  const studio = await createStudio({ host, port, home: o.str('home'), runRoots: o.list('runs') });
  process.stderr.write(`ai-art studio on ${studio.url} (data in ${studio.store.home}); Ctrl-C stops it\n`);
  if (o.bool('open')) {
    const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(cmd, [studio.url], { stdio: 'ignore', detached: true }).on('error', () => process.stderr.write(`could not open a browser; visit ${studio.url}\n`)).unref();
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('stopping the studio (running jobs start again next time)\n');
  await studio.close();
  return 0;
}
