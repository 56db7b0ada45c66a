/** `ai-art fast stylize INPUT... --model NAME|FILE -o OUT`: pictures, folders and videos through a fast style model. */
import fs from 'node:fs';
import path from 'node:path';
import { saveImage } from '../images/index.js';
import {
  FAST_STYLIZE_DEFAULTS,
  FastError,
  checkContentOptions,
  isVideoFile,
  loadContent,
  loadFastModel,
  stylizeImage,
  stylizeVideo,
  type FastModel,
  type FastStylizeOptions,
  type VideoResult,
} from '../fast/index.js';
import { Opts, UsageError, helpText, parseArgs, type OptSpec } from './args.js';
import { fmtNum, progressBar } from './progress.js';

const D = FAST_STYLIZE_DEFAULTS;
const OPTIONS: OptSpec[] = [
  { name: 'model', aliases: ['m'], type: 'string', help: 'hub name (mosaic, candy, rain_princess, udnie, mosaic-9, candy-9, pointilism-9, ...), a TransformerNet .pth/.model, or an .onnx' },
  { name: 'output', aliases: ['o', 'output-image'], type: 'string', help: 'output file (one input) or folder (several, or a folder)' },
  { name: 'content-scale', type: 'number', help: 'divide width and height by this first (as pytorch/examples)' },
  { name: 'size', type: 'int', help: 'resize so the longest side is N pixels' },
  { name: 'value-range', type: 'string', choices: ['255', '1'], help: 'ONNX models: values they take and give, 0-255 (the ONNX zoo\'s, default) or 0-1' },
  { name: 'batch', type: 'int', help: 'video frames per network call', default: D.batch },
  { name: 'temporal-smoothing', type: 'number', help: 'video: blend still regions with the previous output, strength in [0, 1) (0: off)', default: D.temporalSmoothing },
  { name: 'crf', type: 'int', help: 'video: x264/VP9 quality (lower is better; default 18 / 31)' },
  { name: 'ffmpeg', type: 'string', help: 'ffmpeg binary (default: ffmpeg on PATH)', metavar: 'PATH' },
  { name: 'ffprobe', type: 'string', help: 'ffprobe binary (default: beside --ffmpeg, else on PATH)', metavar: 'PATH' },
  { name: 'threads', type: 'int', help: 'compute threads' },
  { name: 'json', type: 'boolean', help: 'one JSON line with what was written' },
  { name: 'quiet', aliases: ['q'], type: 'boolean', help: 'no progress' },
  { name: 'help', aliases: ['h'], type: 'boolean', help: 'show this help' },
];
const USAGE = 'ai-art fast stylize INPUT... --model NAME|FILE.pth|FILE.onnx -o OUT';
const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|bmp|avif)$/i;
const SAVE_EXT = /\.(png|jpe?g|webp)$/i;

function readOptions(o: Opts): FastStylizeOptions {
  const model = o.str('model');
  const output = o.str('output');
  if (!model) throw new UsageError(`--model is required; usage: ${USAGE}`);
  if (!output) throw new UsageError(`-o OUT is required; usage: ${USAGE}`);
  const vr = o.str('value-range');
  return {
    model,
    output,
    contentScale: o.num('content-scale'),
    size: o.num('size'),
    threads: o.num('threads'),
    valueRange: vr === undefined ? undefined : vr === '1' ? 1 : 255,
    batch: o.num('batch') ?? D.batch,
    temporalSmoothing: o.num('temporal-smoothing') ?? D.temporalSmoothing,
    ffmpeg: o.str('ffmpeg'),
    ffprobe: o.str('ffprobe'),
    crf: o.num('crf'),
    json: o.bool('json'),
    quiet: o.bool('quiet') || o.bool('json'),
  };
}

/** Pictures and videos named or inside the named folders (one level), in a stable order. */
function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (!fs.existsSync(p)) throw new FastError(`${p}: no such file or folder`);
    if (fs.statSync(p).isDirectory()) {
      const files = fs.readdirSync(p).filter((f) => IMAGE_EXT.test(f) || isVideoFile(f)).sort();
      if (files.length === 0) throw new FastError(`${p}: no pictures or videos in this folder`);
      out.push(...files.map((f) => path.join(p, f)));
    } else out.push(p);
  }
  return out;
}

/** Where each input goes: OUT itself for one file input (unless OUT is a folder), else OUT/NAME. */
function plan(inputs: readonly string[], files: readonly string[], output: string): { src: string; dest: string }[] {
  const single = inputs.length === 1 && files.length === 1 && !fs.statSync(inputs[0]).isDirectory();
  const outIsDir = (fs.existsSync(output) && fs.statSync(output).isDirectory()) || /[/\\]$/.test(output);
  if (single && !outIsDir) {
    const [src] = files;
    if (isVideoFile(src) && !isVideoFile(output)) throw new FastError(`-o ${output}: ${src} is a video; name a video file (.mp4, .mkv, .webm, ...)`);
    if (!isVideoFile(src) && !SAVE_EXT.test(output)) throw new FastError(`-o ${output}: write pictures as .png, .jpg or .webp`);
    return [{ src, dest: output }];
  }
  const seen = new Set<string>();
  return files.map((src) => {
    const ext = path.extname(src);
    const stem = path.basename(src, ext);
    const outExt = isVideoFile(src) ? ext.toLowerCase() : SAVE_EXT.test(ext) ? ext.toLowerCase() : '.png';
    const dest = path.join(output, `${stem}${outExt}`);
    if (seen.has(dest)) throw new FastError(`two inputs would both be written to ${dest}; stylize them separately`);
    seen.add(dest);
    return { src, dest };
  });
}

/** Fails early, before any model is loaded or downloaded, when the outputs cannot be written. */
function checkWritable(jobs: readonly { dest: string }[]): void {
  for (const dir of new Set(jobs.map((j) => path.dirname(path.resolve(j.dest))))) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'EACCES' || (e as NodeJS.ErrnoException).code === 'EPERM' ? 'permission denied' : (e as Error).message;
      throw new FastError(`cannot write to ${dir}: ${why}`);
    }
  }
}

interface Written {
  input: string;
  output: string;
  kind: 'image' | 'video';
  width: number;
  height: number;
  seconds: number;
  video?: Omit<VideoResult, 'input' | 'output' | 'width' | 'height' | 'seconds'>;
}

export async function fastStylizeCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, OPTIONS);
  const o = new Opts(p);
  if (o.bool('help')) {
    process.stdout.write(
      helpText(USAGE, OPTIONS, 'Stylise pictures, folders and videos with a feed-forward style network (Johnson et al. 2016).\nVideo needs Debian\'s ffmpeg.'),
    );
    return 0;
  }
  if (p.positionals.length === 0) throw new UsageError(`usage: ${USAGE}`);
  const opts = readOptions(o);
  checkContentOptions(opts);
  if (!(opts.temporalSmoothing >= 0 && opts.temporalSmoothing < 1)) throw new UsageError(`--temporal-smoothing must be in [0, 1), got ${opts.temporalSmoothing}`);
  if (!(opts.batch >= 1)) throw new UsageError(`--batch must be at least 1, got ${opts.batch}`);
  const files = expandInputs(p.positionals);
  const jobs = plan(p.positionals, files, opts.output);
  checkWritable(jobs);

  const ctrl = new AbortController();
  const onSigint = (): void => ctrl.abort();
  process.once('SIGINT', onSigint);
  let model: FastModel | null = null;
  const written: Written[] = [];
  const say = (msg: string): void => {
    if (!opts.quiet) process.stderr.write(`${msg}\n`);
  };
  try {
    model = await loadFastModel(opts.model, { threads: opts.threads, valueRange: opts.valueRange });
    say(`${model.description} from ${model.source}`);
    const images = jobs.filter((j) => !isVideoFile(j.src));
    const bar = images.length ? progressBar(images.length, 'stylize', { quiet: opts.quiet }) : null;
    let doneImages = 0;
    for (const j of jobs) {
      if (ctrl.signal.aborted) throw new FastError('interrupted');
      const t0 = performance.now();
      if (isVideoFile(j.src)) {
        let vbar: ReturnType<typeof progressBar> | null = null;
        const r = await stylizeVideo(model, j.src, j.dest, {
          size: opts.size,
          contentScale: opts.contentScale,
          batch: opts.batch,
          temporalSmoothing: opts.temporalSmoothing,
          crf: opts.crf,
          ffmpeg: opts.ffmpeg,
          ffprobe: opts.ffprobe,
          signal: ctrl.signal,
          onStart: (info) => {
            say(`${j.src}: ${info.width}x${info.height} ${info.codec} at ${info.fps} fps, ${info.frames ?? '?'} frames${info.audio ? `, audio ${info.audio.codec}` : ''} -> ${info.outWidth}x${info.outHeight}`);
            vbar = progressBar(info.frames ?? 0, path.basename(j.src), { quiet: opts.quiet });
          },
          onProgress: (pr) => vbar?.update(pr.frames, { fps: pr.framesPerSecond.toFixed(2) }),
        });
        (vbar as ReturnType<typeof progressBar> | null)?.done();
        const { input: _i, output: _o, width, height, seconds, ...video } = r;
        written.push({ input: j.src, output: path.resolve(j.dest), kind: 'video', width, height, seconds, video });
        const fl = r.flicker.ratio === null ? '' : `, flicker ${fmtNum(r.flicker.ratio)} (output/input change between frames)`;
        say(`wrote ${j.dest}: ${r.frames} frames, ${r.framesPerSecond.toFixed(2)} frames/s${fl}`);
      } else {
        const img = await loadContent(j.src, { contentScale: opts.contentScale, size: opts.size, notice: (m) => bar?.log(m) });
        const out = await stylizeImage(model, img);
        await saveImage(out, j.dest);
        written.push({ input: j.src, output: path.resolve(j.dest), kind: 'image', width: out.width, height: out.height, seconds: (performance.now() - t0) / 1000 });
        bar?.update(++doneImages);
      }
    }
    bar?.done(images.length && !opts.quiet ? `wrote ${images.length} picture(s)` : undefined);
  } catch (e) {
    if (ctrl.signal.aborted) {
      process.stderr.write(`ai-art fast stylize: interrupted; ${written.length} output(s) finished, nothing half-written\n`);
      return 130;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await model?.release();
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ model: model.source, description: model.description, outputs: written })}\n`);
  return 0;
}
