/**
 * Video through a fast style model: ffmpeg decodes to raw RGB frames on a pipe, frames go
 * through the network in batches, and a second ffmpeg encodes them from a pipe, taking the
 * audio streams from the input file; no frame touches the disk. Frame rate and frame count are
 * kept (frames pass through one for one at the input's average rate). The output is written
 * under a hidden temporary name in the target folder and renamed when ffmpeg has finished, so
 * an interrupted or failed run leaves nothing at the output path.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { padRaw, sizeForLongestSide } from '../images/index.js';
import { FastError } from './errors.js';
import { assertWritableDir } from './files.js';
import { describeExit, exited, ffmpegBin, probeVideo, spawnTool, type Exit, type FfmpegPaths, type VideoInfo } from './ffmpeg.js';
import type { FastModel } from './model.js';
import { FlickerMeter, TemporalSmoother } from './smoothing.js';
import { checkContentOptions, scaledSize } from './stylize.js';

export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi'] as const;

export function isVideoFile(file: string): boolean {
  return (VIDEO_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

export interface VideoOptions extends FfmpegPaths {
  /** Longest side of the output (even sizes, as 4:2:0 video needs). */
  size?: number;
  /** Divide width and height by this, as pytorch/examples' --content-scale. */
  contentScale?: number;
  /** Frames per network call (default 4; models that take one image at a time get 1). */
  batch?: number;
  /** Blend strength in [0, 1) for still regions (smoothing.ts); 0 or absent: off. */
  temporalSmoothing?: number;
  /** x264/VP9 constant rate factor (default 18 for x264, 31 for VP9). */
  crf?: number;
  signal?: AbortSignal;
  onStart?: (info: VideoInfo & { outWidth: number; outHeight: number }) => void;
  onProgress?: (p: VideoProgress) => void;
}

export interface VideoProgress {
  frames: number;
  /** Expected frames (from the container), null when unknown. */
  total: number | null;
  framesPerSecond: number;
}

export interface VideoResult {
  input: string;
  output: string;
  width: number;
  height: number;
  frames: number;
  fps: string;
  audio: boolean;
  seconds: number;
  framesPerSecond: number;
  /** Mean absolute change between consecutive frames (0-255), input and output, and output/input. */
  flicker: { input: number; output: number; ratio: number | null };
  temporalSmoothing: number;
}

/** Encoder arguments by container. */
function codecArgs(ext: string, oddSize: boolean, crf: number | undefined, audio: VideoInfo['audio'], sameContainer: boolean): string[] {
  const x264 = ['-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf ?? 18), '-pix_fmt', oddSize ? 'yuv444p' : 'yuv420p'];
  let video: string[];
  let audioCodec: string[];
  switch (ext) {
    case '.webm':
      video = ['-c:v', 'libvpx-vp9', '-crf', String(crf ?? 31), '-b:v', '0', '-pix_fmt', oddSize ? 'yuv444p' : 'yuv420p'];
      audioCodec = audio && ['opus', 'vorbis'].includes(audio.codec) ? ['-c:a', 'copy'] : ['-c:a', 'libopus'];
      break;
    case '.avi':
      video = ['-c:v', 'mpeg4', '-q:v', '3'];
      audioCodec = ['-c:a', 'libmp3lame'];
      break;
    default:
      video = x264;
      // Copying keeps the audio bit for bit; into another container only codecs it takes.
      audioCodec =
        audio && (sameContainer || ['aac', 'mp3', 'alac', 'ac3', 'opus'].includes(audio.codec)) ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '192k'];
  }
  return [...video, ...audioCodec, ...(['.mp4', '.m4v', '.mov'].includes(ext) ? ['-movflags', '+faststart'] : [])];
}

function checkOutput(input: string, output: string): void {
  if (!isVideoFile(output)) throw new FastError(`${output}: write video as ${VIDEO_EXTENSIONS.join(', ')}`);
  if (path.resolve(input) === path.resolve(output)) throw new FastError(`${output}: the output would overwrite the input`);
  if (fs.existsSync(output) && fs.statSync(output).isDirectory()) throw new FastError(`cannot write ${output}: a folder with that name exists`);
  assertWritableDir(path.dirname(path.resolve(output)));
}

/** Frames of exactly `bytes` from a stream. */
async function* frames(stream: Readable, bytes: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parts.push(chunk);
    have += chunk.length;
    if (have < bytes) continue;
    let all = Buffer.concat(parts);
    while (all.length >= bytes) {
      yield all.subarray(0, bytes);
      all = all.subarray(bytes);
    }
    parts = all.length ? [Buffer.from(all)] : [];
    have = all.length;
  }
  if (have > 0) throw new FastError(`ffmpeg ended in the middle of a frame (${have} of ${bytes} bytes)`);
}

/**
 * Writes, waiting for the pipe to drain; fails if the reader has gone, also when it went
 * before this write (a destroyed stream emits no further 'error' or 'close' to wait for).
 */
function write(w: Writable, b: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (w.destroyed || !w.writable) {
      reject(new FastError('the encoder closed its input'));
      return;
    }
    let settled = false;
    const finish = (err?: Error | null): void => {
      if (settled) return;
      settled = true;
      w.off('error', finish);
      w.off('close', onClose);
      w.off('drain', onDrain);
      if (err) reject(err);
      else resolve();
    };
    const onClose = (): void => finish(new FastError('the encoder closed its input'));
    const onDrain = (): void => finish();
    w.on('error', finish);
    w.on('close', onClose);
    const more = w.write(b, (err) => {
      if (err) finish(err);
    });
    if (more) finish();
    else w.on('drain', onDrain);
  });
}

/** A write that failed because the encoder's end of the pipe is gone. */
function encoderGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || (e instanceof FastError && e.message === 'the encoder closed its input');
}

/** RGB24 HWC bytes to CHW floats 0-255, reflect-padded to [ph, pw]. */
function toNetwork(frame: Uint8Array, w: number, h: number, ph: number, pw: number, out: Float32Array): void {
  const n = w * h;
  const chw = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    chw[i] = frame[3 * i];
    chw[n + i] = frame[3 * i + 1];
    chw[2 * n + i] = frame[3 * i + 2];
  }
  if (ph === h && pw === w) {
    out.set(chw);
    return;
  }
  const top = Math.floor((ph - h) / 2);
  const left = Math.floor((pw - w) / 2);
  out.set(padRaw({ width: w, height: h, data: chw }, { top, bottom: ph - h - top, left, right: pw - w - left }, 'reflect').data);
}

/** The network's CHW output (padded size) cropped back to HWC floats 0-255. */
function fromNetwork(y: Float32Array, w: number, h: number, ph: number, pw: number): Float32Array {
  const top = Math.floor((ph - h) / 2);
  const left = Math.floor((pw - w) / 2);
  const np = ph * pw;
  const out = new Float32Array(3 * w * h);
  for (let r = 0; r < h; r++) {
    for (let x = 0; x < w; x++) {
      const s = (r + top) * pw + x + left;
      const o = 3 * (r * w + x);
      out[o] = y[s];
      out[o + 1] = y[np + s];
      out[o + 2] = y[2 * np + s];
    }
  }
  return out;
}

function toBytes(f: Float32Array): Uint8Array {
  const b = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    b[i] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
  }
  return b;
}

/** Temp files of runs in progress, removed if the process exits (Ctrl-C handled by process.exit). */
const pendingTemps = new Set<string>();
let exitHook = false;
function trackTemp(f: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const t of pendingTemps) fs.rmSync(t, { force: true });
    });
  }
  pendingTemps.add(f);
}

export async function stylizeVideo(model: FastModel, input: string, output: string, opts: VideoOptions = {}): Promise<VideoResult> {
  checkContentOptions(opts);
  const smoothing = opts.temporalSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new FastError(`--temporal-smoothing must be in [0, 1), got ${smoothing}`);
  if (!fs.existsSync(input)) throw new FastError(`${input}: no such file`);
  checkOutput(input, output);
  const info = await probeVideo(input, opts);
  let { width: w, height: h } = info;
  if (opts.size !== undefined) ({ width: w, height: h } = sizeForLongestSide(w, h, opts.size));
  else if (opts.contentScale !== undefined && opts.contentScale !== 1) ({ width: w, height: h } = scaledSize(w, h, opts.contentScale));
  const resized = w !== info.width || h !== info.height;
  // 4:2:0 chroma needs even sizes; a size we choose is made even, the input's own is kept.
  if (resized) {
    w = Math.max(2, w - (w % 2));
    h = Math.max(2, h - (h % 2));
  }
  const m = model.multiple;
  const ph = Math.ceil(h / m) * m;
  const pw = Math.ceil(w / m) * m;
  const batch = Math.max(1, Math.min(opts.batch ?? 4, model.maxBatch));
  opts.onStart?.({ ...info, outWidth: w, outHeight: h });

  const ext = path.extname(output).toLowerCase();
  const dir = path.dirname(path.resolve(output));
  const temp = path.join(dir, `.${path.basename(output, ext)}.${process.pid}.${randomBytes(4).toString('hex')}.part${ext}`);
  const bin = ffmpegBin(opts);
  const decArgs = ['-nostdin', '-v', 'error', '-i', input, '-map', '0:v:0'];
  if (resized) decArgs.push('-vf', `scale=${w}:${h}:flags=lanczos`);
  decArgs.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const sameContainer = path.extname(input).toLowerCase() === ext;
  const encArgs = [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-framerate', info.fps, '-i', 'pipe:0',
    '-i', input, '-map', '0:v:0', '-map', '1:a?', '-map_metadata', '1',
    ...codecArgs(ext, w % 2 === 1 || h % 2 === 1, opts.crf, info.audio, sameContainer),
    temp,
  ];

  let dec: ChildProcess | null = null;
  let enc: ChildProcess | null = null;
  // Processes this run killed itself: their exit is not the failure to report.
  const killed = new Set<ChildProcess>();
  const kill = (procs: readonly (ChildProcess | null)[]): void => {
    for (const p of procs) {
      if (p && p.exitCode === null && p.signalCode === null) {
        killed.add(p);
        p.kill('SIGKILL');
      }
    }
  };
  const stop = (): void => kill([dec, enc]);
  opts.signal?.addEventListener('abort', stop);
  trackTemp(temp);
  const start = performance.now();
  let done = 0;
  const meter = new FlickerMeter();
  const smoother = smoothing > 0 ? new TemporalSmoother(smoothing) : null;
  try {
    if (opts.signal?.aborted) throw new FastError('interrupted');
    dec = spawnTool(bin, decArgs);
    const decProc = dec;
    const decExit = exited(dec, bin);
    enc = spawnTool(bin, encArgs, { stdio: ['pipe', 'ignore', 'pipe'] });
    const encProc = enc;
    const encExit = exited(enc, bin);
    void decExit.catch(() => undefined);
    void encExit.catch(() => undefined);
    const encIn = enc.stdin!;
    encIn.on('error', () => undefined); // reported through the write that failed and the exit status

    const frameBytes = w * h * 3;
    const per = 3 * ph * pw;
    let pending: Uint8Array[] = [];
    const flush = async (): Promise<void> => {
      if (!pending.length) return;
      const n = pending.length;
      const x = new Float32Array(n * per);
      pending.forEach((f, i) => toNetwork(f, w, h, ph, pw, x.subarray(i * per, (i + 1) * per)));
      const y = await model.run(x, [n, 3, ph, pw]);
      for (let i = 0; i < n; i++) {
        const out = fromNetwork(y.subarray(i * per, (i + 1) * per), w, h, ph, pw);
        smoother?.apply(pending[i], out);
        const bytes = toBytes(out);
        meter.add(pending[i], bytes);
        if (opts.signal?.aborted) throw new FastError('interrupted');
        await write(encIn, bytes);
      }
      done += n;
      const s = (performance.now() - start) / 1000;
      opts.onProgress?.({ frames: done, total: info.frames, framesPerSecond: s > 0 ? done / s : 0 });
      pending = [];
    };
    let failure: unknown = null;
    try {
      for await (const f of frames(dec.stdout!, frameBytes)) {
        pending.push(Uint8Array.from(f));
        if (pending.length >= batch) await flush();
      }
      await flush();
      encIn.end();
    } catch (e) {
      failure = e;
      // An encoder that stopped reading is on its way out: let its exit status tell why
      // (killing it here would race its own exit and hide the reason behind EPIPE).
      if (encoderGone(e)) {
        kill([dec]);
        encIn.destroy();
      } else stop();
    }
    const [d, en] = await Promise.allSettled([decExit, encExit]);
    if (opts.signal?.aborted) throw new FastError('interrupted');
    for (const r of [d, en]) if (r.status === 'rejected') throw r.reason;
    const failed = (r: PromiseSettledResult<Exit>, p: ChildProcess): Exit | null =>
      r.status === 'fulfilled' && r.value.code !== 0 && !killed.has(p) ? r.value : null;
    const encFailed = failed(en, encProc);
    if (encFailed) throw new FastError(`ffmpeg failed writing ${output}: ffmpeg ${describeExit(encFailed)}`);
    const decFailed = failed(d, decProc);
    if (decFailed) throw new FastError(`ffmpeg failed reading ${input}: ffmpeg ${describeExit(decFailed)}`);
    if (failure) throw encoderGone(failure) ? new FastError(`ffmpeg stopped reading the frames for ${output}`) : failure;
    if (done === 0) throw new FastError(`${input}: ffmpeg decoded no frames`);
    await rename(temp, output);
  } catch (e) {
    stop();
    await rm(temp, { force: true });
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    pendingTemps.delete(temp);
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    input,
    output,
    width: w,
    height: h,
    frames: done,
    fps: info.fps,
    audio: info.audio !== null,
    seconds,
    framesPerSecond: done / seconds,
    flicker: meter.result(),
    temporalSmoothing: smoothing,
  };
}
