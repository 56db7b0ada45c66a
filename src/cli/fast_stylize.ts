/** `ai-art fast stylize INPUT... --model NAME|FILE -o OUT`: pictures, folders and videos through a fast style model. */
import fs from 'node:fs';
import path from 'node:path';
import { optionsStamp, saveImage } from '../images/index.js';
import {
  FastError,
  assertWritableDir,
  isVideoFile,
  loadContent,
  loadFastModel,
  stylizeImage,
  stylizeVideo,
  type FastModel,
  type VideoResult,
} from '../fast/index.js';
import { fastStylizeCommand as fastStylizeSchema } from '../options/commands/fast.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';
import { fmtNum, progressBar } from './progress.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|bmp|avif)$/i;
const SAVE_EXT = /\.(png|jpe?g|webp)$/i;

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
  for (const dir of new Set(jobs.map((j) => path.dirname(path.resolve(j.dest))))) assertWritableDir(dir, true);
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
  const args = parseCli(fastStylizeSchema, argv);
  if (!args) return 0;
  const o = args.options;
  if (args.positionals.length === 0) throw new UsageError(`usage: ${fastStylizeSchema.usage}`);
  const json = args.json;
  const quiet = args.quiet || json;
  const valueRange = o.valueRange === undefined ? undefined : o.valueRange === '1' ? 1 : 255;
  const files = expandInputs(args.positionals);
  const jobs = plan(args.positionals, files, o.output);
  checkWritable(jobs);

  const ctrl = new AbortController();
  const onSigint = (): void => ctrl.abort();
  // SIGTERM too (kill, timeout, service managers): the temporary video is removed either way.
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let model: FastModel | null = null;
  const written: Written[] = [];
  const say = (msg: string): void => {
    if (!quiet) process.stderr.write(`${msg}\n`);
  };
  try {
    model = await loadFastModel(o.model, { threads: o.threads, valueRange });
    say(`${model.description} from ${model.source}`);
    const images = jobs.filter((j) => !isVideoFile(j.src));
    const bar = images.length ? progressBar(images.length, 'stylize', { quiet }) : null;
    let doneImages = 0;
    for (const j of jobs) {
      if (ctrl.signal.aborted) throw new FastError('interrupted');
      const t0 = performance.now();
      if (isVideoFile(j.src)) {
        let vbar: ReturnType<typeof progressBar> | null = null;
        const r = await stylizeVideo(model, j.src, j.dest, {
          size: o.size,
          contentScale: o.contentScale,
          batch: o.batch,
          temporalSmoothing: o.temporalSmoothing,
          crf: o.crf,
          ffmpeg: o.ffmpeg,
          ffprobe: o.ffprobe,
          signal: ctrl.signal,
          onStart: (info) => {
            say(`${j.src}: ${info.width}x${info.height} ${info.codec} at ${info.fps} fps, ${info.frames ?? '?'} frames${info.audio ? `, audio ${info.audio.codec}` : ''} -> ${info.outWidth}x${info.outHeight}`);
            vbar = progressBar(info.frames ?? 0, path.basename(j.src), { quiet });
          },
          onProgress: (pr) => vbar?.update(pr.frames, { fps: pr.framesPerSecond.toFixed(2) }),
        });
        (vbar as ReturnType<typeof progressBar> | null)?.done();
        const { input: _i, output: _o, width, height, seconds, ...video } = r;
        written.push({ input: j.src, output: path.resolve(j.dest), kind: 'video', width, height, seconds, video });
        const fl = r.flicker.ratio === null ? '' : `, flicker ${fmtNum(r.flicker.ratio)} (output/input change between frames)`;
        say(`wrote ${j.dest}: ${r.frames} frames, ${r.framesPerSecond.toFixed(2)} frames/s${fl}`);
      } else {
        const img = await loadContent(j.src, { contentScale: o.contentScale, size: o.size, notice: (m) => bar?.log(m) });
        const out = await stylizeImage(model, img);
        await saveImage(out, j.dest, { text: optionsStamp('fast stylize', o, { input: path.basename(j.src) }) });
        written.push({ input: j.src, output: path.resolve(j.dest), kind: 'image', width: out.width, height: out.height, seconds: (performance.now() - t0) / 1000 });
        bar?.update(++doneImages);
      }
    }
    bar?.done(images.length && !quiet ? `wrote ${images.length} picture(s)` : undefined);
  } catch (e) {
    if (ctrl.signal.aborted) {
      process.stderr.write(`ai-art fast stylize: interrupted; ${written.length} output(s) finished, nothing half-written\n`);
      return 130;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
    await model?.release();
  }
  if (json) process.stdout.write(`${JSON.stringify({ model: model.source, description: model.description, outputs: written })}\n`);
  return 0;
}
