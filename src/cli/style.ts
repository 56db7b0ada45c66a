/** `ai-art style CONTENT STYLE [STYLE...] -o OUT`: flags as jcjohnson/neural-style, kebab-case. */
import path from 'node:path';
import fs from 'node:fs';
import { optionsStamp, saveImage } from '../images/index.js';
import { stylize, type StyleReport, type StylizeOptions } from '../style/stylize.js';
import type { Optimizer, PresetName } from '../style/options.js';
import type { Pooling } from '../models/vgg19.js';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';
import { fmtNum, progressBar } from './progress.js';

export const STYLE_OPTIONS: OptSpec[] = [
  { name: 'output', aliases: ['o', 'output_image'], type: 'string', help: 'output image (.png, .jpg, .webp)', metavar: 'FILE' },
  { name: 'size', aliases: ['image_size', 'image-size'], type: 'int', help: 'longest side of the output in pixels', default: 512 },
  { name: 'iterations', aliases: ['num_iterations', 'num-iterations'], type: 'int', help: 'cost evaluations (split over scales)', default: 500 },
  { name: 'optimizer', type: 'string', choices: ['lbfgs', 'adam'], help: 'optimiser', default: 'lbfgs' },
  { name: 'learning-rate', aliases: ['lr'], type: 'number', help: 'step size (L-BFGS: 1; Adam: 0.02 on [0,1] pixels)' },
  { name: 'content-weight', aliases: ['alpha'], type: 'number', help: 'α, weight of J_content', default: 1 },
  { name: 'style-weight', aliases: ['beta'], type: 'number', help: 'β, weight of J_style (default: chosen per size for random weights, 1e3 for pretrained)' },
  { name: 'tv-weight', aliases: ['gamma'], type: 'number', help: 'γ, weight of J_tv', default: 0 },
  { name: 'content-layers', type: 'string', help: 'comma-separated VGG-19 layers (conv1_1..conv5_4, relu1_1..relu5_4)' },
  { name: 'style-layers', type: 'string', help: 'comma-separated VGG-19 layers' },
  { name: 'style-layer-weights', type: 'string', help: 'equal | exp:R | w1,w2,...' },
  { name: 'preset', type: 'string', choices: ['seed', 'gatys'], help: 'layer preset; explicit flags override it', default: 'seed' },
  { name: 'weights', type: 'string', help: 'auto | vgg19 | random | FILE.pth', default: 'auto' },
  { name: 'normalize-layers', type: 'boolean', help: 'divide each layer cost by its target mean square (default: on for random weights)' },
  { name: 'style-blend-weights', type: 'list', help: 'weights of several style images, comma-separated' },
  { name: 'style-scale', type: 'number', help: 'style image size relative to the output', default: 1 },
  { name: 'original-colors', aliases: ['original_colors'], type: 'boolean', help: "keep the content's colours (transfer luminance only)" },
  { name: 'init', type: 'string', help: 'content | noise | FILE', default: 'content' },
  { name: 'pooling', type: 'string', choices: ['max', 'avg'], help: 'VGG pooling (default: avg for random weights, max for pretrained)' },
  { name: 'seed', type: 'int', help: 'random seed (noise init, random weights)', default: 0 },
  { name: 'save-every', aliases: ['save_iter'], type: 'int', help: 'write an intermediate frame every N evaluations', default: 0 },
  { name: 'scales', type: 'int', help: 'coarse-to-fine scales, most iterations at low resolution (default: 1 up to 1024 px, else from about 512 px)' },
  { name: 'tile-size', type: 'int', help: 'above this many pixels squared, evaluate in overlapping windows of at most that size (exact; bounds memory)', default: 1024 },
  { name: 'threads', type: 'int', help: 'compute threads (default: all cores)' },
  { name: 'lbfgs-history', aliases: ['lbfgs_num_correction'], type: 'int', help: 'L-BFGS history size', default: 100 },
  { name: 'json', type: 'boolean', help: 'print one JSON line with the report at the end' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress bar' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];

export const STYLE_USAGE = 'ai-art style CONTENT STYLE [STYLE...] -o OUT [options]';

/** Refuses an output path whose folder is missing before any work is done. */
export function checkOutputPath(out: string): void {
  const dir = path.dirname(path.resolve(out));
  if (!fs.existsSync(dir)) throw new UsageError(`output folder ${dir} does not exist`);
  if (!/\.(png|jpe?g|webp)$/i.test(out)) throw new UsageError(`output ${out}: use a .png, .jpg or .webp name`);
}

export function frameName(out: string, n: number): string {
  const ext = path.extname(out);
  return `${out.slice(0, out.length - ext.length)}_${n}${ext}`;
}

export function styleOptionsFrom(o: Opts): Omit<StylizeOptions, 'content' | 'styles'> {
  const num = (n: string) => o.num(n);
  return {
    size: num('size'),
    iterations: num('iterations'),
    optimizer: o.str('optimizer') as Optimizer,
    learningRate: num('learning-rate'),
    contentWeight: num('content-weight'),
    styleWeight: num('style-weight'),
    tvWeight: num('tv-weight'),
    contentLayers: o.str('content-layers')?.split(','),
    styleLayers: o.str('style-layers')?.split(','),
    styleLayerWeights: o.str('style-layer-weights'),
    preset: o.str('preset') as PresetName,
    weights: o.str('weights'),
    normalizeLayers: o.has('normalize-layers') ? o.bool('normalize-layers') : undefined,
    styleBlendWeights: o.list('style-blend-weights')?.map(Number),
    styleScale: num('style-scale'),
    originalColors: o.bool('original-colors'),
    init: o.str('init'),
    pooling: o.str('pooling') as Pooling | undefined,
    seed: num('seed'),
    saveEvery: num('save-every'),
    scales: num('scales'),
    threads: num('threads'),
    lbfgsHistory: num('lbfgs-history'),
    tileSize: num('tile-size'),
  };
}

export async function styleCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, STYLE_OPTIONS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(helpText(STYLE_USAGE, STYLE_OPTIONS, 'Neural style transfer (Gatys et al.) on VGG-19.'));
    return 0;
  }
  const [content, ...styles] = p.positionals;
  if (!content || styles.length === 0) throw new UsageError(`usage: ${STYLE_USAGE}`);
  const out = o.str('output');
  if (!out) throw new UsageError('missing -o OUT');
  checkOutputPath(out);
  const quiet = o.bool('quiet') || o.bool('json');
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ninterrupted: finishing the current step and saving the last frame\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const opts: StylizeOptions = { content, styles, ...styleOptionsFrom(o) };
  const bar = progressBar(opts.iterations ?? 500, 'style', { quiet });
  const text = optionsStamp('style', styleOptionsFrom(o), { content: path.basename(content), styles: styles.map((f) => path.basename(f)) });
  try {
    const { image, report } = await stylize(opts, {
      signal: controller.signal,
      notice: (m) => bar.log(`note: ${m}`),
      onProgress: (pr) =>
        bar.update(pr.evaluation, {
          ...(pr.scales > 1 ? { scale: `${pr.scale}/${pr.scales}` } : {}),
          total: fmtNum(pr.total),
          content: fmtNum(pr.content),
          style: fmtNum(pr.style),
          tv: fmtNum(pr.tv),
          'eval/s': pr.evaluationsPerSecond.toFixed(2),
        }),
      onFrame: async (img, n) => {
        await saveImage(img, frameName(out, n), { text });
      },
    });
    await saveImage(image, out, { text });
    const full: StyleReport = { ...report, output: path.resolve(out) };
    bar.done(quiet ? undefined : `wrote ${out} (${report.evaluations} evaluations, ${report.seconds.toFixed(1)} s${report.interrupted ? ', interrupted' : ''})`);
    if (o.bool('json')) process.stdout.write(`${JSON.stringify(full)}\n`);
    return report.interrupted ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
