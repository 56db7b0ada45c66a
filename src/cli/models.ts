/** `ai-art models list | pull NAME | import FILE [--as NAME] | path NAME`: the weights hub. */
import { listModels, importModel, modelPath, pullModel, type Architecture, type DownloadProgress } from '../weights/index.js';
import { modelsCommand as modelsSchema } from '../options/commands/weights.js';
import { UsageError } from '../options/errors.js';
import { helpText } from '../options/help.js';
import { parseCli } from './parse.js';
import { fmtDuration } from './progress.js';

const USAGE = modelsSchema.usage;

export function fmtBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u ? 1 : 0)} ${units[u]}`;
}

function downloadBar(name: string): (p: DownloadProgress) => void {
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  return (p) => {
    const pct = p.total ? (100 * p.received) / p.total : NaN;
    const line =
      `${name}: ${fmtBytes(p.received)}${p.total ? ` / ${fmtBytes(p.total)} (${pct.toFixed(0)}%)` : ''}` +
      `  ${fmtBytes(p.bytesPerSecond)}/s  ETA ${fmtDuration(p.etaSeconds ?? NaN)}${p.resumedFrom ? `  resumed at ${fmtBytes(p.resumedFrom)}` : ''}`;
    if (tty) process.stderr.write(`\r${line}   ${p.done ? '\n' : ''}`);
    else {
      const decile = Number.isFinite(pct) ? Math.floor(pct / 10) : 0;
      if (decile !== lastDecile || p.done) {
        lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  };
}

export async function modelsCommand(argv: string[]): Promise<number> {
  const args = parseCli(modelsSchema, argv);
  if (!args) return 0;
  const [sub, arg] = args.positionals;
  if (!sub) {
    process.stdout.write(helpText(modelsSchema));
    return 2;
  }
  const o = args.options;
  const json = args.json;
  switch (sub) {
    case 'list': {
      const models = await listModels();
      if (json) {
        process.stdout.write(`${JSON.stringify(models)}\n`);
        return 0;
      }
      const w = Math.max(...models.map((m) => m.name.length)) + 2;
      process.stdout.write(`${'name'.padEnd(w)}${'size'.padStart(9)}  cached  ${'network'.padEnd(26)}aliases\n`);
      for (const m of models) {
        const arch = m.arch ? archLabel(m.arch) : '?';
        process.stdout.write(
          `${m.name.padEnd(w)}${fmtBytes(m.sizeBytes).padStart(9)}  ${(m.cached ? 'yes' : 'no').padEnd(6)}  ${arch.padEnd(26)}${m.aliases.join(', ')}\n`,
        );
      }
      return 0;
    }
    case 'pull': {
      if (!arg) throw new UsageError('models pull NAME');
      const ctrl = new AbortController();
      const stop = () => ctrl.abort();
      process.once('SIGINT', stop);
      try {
        const r = await pullModel(arg, {
          onProgress: json ? undefined : downloadBar(arg),
          signal: ctrl.signal,
          sha256: o.sha256,
          force: o.force,
          timeoutMs: o.timeout * 1000,
          onWait: () => process.stderr.write(`${arg}: another download of this file is running; waiting for it\n`),
        });
        if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else process.stderr.write(`${r.name}: ${r.downloaded ? 'downloaded to' : 'already at'} ${r.path} (sha256 ${r.sha256.slice(0, 12)}…)\n`);
        return 0;
      } finally {
        process.removeListener('SIGINT', stop);
      }
    }
    case 'import': {
      if (!arg) throw new UsageError('models import FILE [--as NAME]');
      const r = await importModel(arg, { as: o.as, sha256: o.sha256 });
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else process.stderr.write(`imported ${arg} as ${r.name}: ${r.path}\n`);
      return 0;
    }
    case 'path': {
      if (!arg) throw new UsageError('models path NAME');
      process.stdout.write(`${await modelPath(arg)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown models command '${sub}'; ${USAGE}`);
  }
}

function archLabel(a: Architecture): string {
  switch (a.kind) {
    case 'vgg19':
    case 'vgg16':
      return `${a.kind} features`;
    case 'transformer_net':
      return `TransformerNet ${a.width}`;
    case 'onnx_image':
      return `ONNX image, 0-${a.valueRange}`;
    default:
      return `${a.netG} ${a.norm}`;
  }
}
