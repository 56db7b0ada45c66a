/**
 * Videos in chunks of frames, through Debian's ffmpeg on pipes: a chunk is decoded from its own
 * frame range (input seeking to half a frame before its first frame, then exactly `count`
 * frames, passed through without the frame-rate filling that would repeat the first), processed frame by frame, and written losslessly (FFV1 in Matroska); the chunks are
 * joined in order with the concat demuxer and encoded once to H.264, with the source's audio.
 * Frame ranges are computed from a constant frame rate (variable-rate sources are resampled to
 * their nominal rate by the decode).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RawImage } from '../images/index.js';

export const FFMPEG = process.env.FFMPEG ?? 'ffmpeg';
export const FFPROBE = process.env.FFPROBE ?? 'ffprobe';

export interface VideoInfo {
  width: number;
  height: number;
  /** Exact rate as ffmpeg writes it, e.g. '30000/1001'. */
  rate: string;
  fps: number;
  frames: number;
  audio: boolean;
}

function run(cmd: string, args: string[], input?: (stdin: NodeJS.WritableStream) => Promise<void>): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => out.push(d));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    let inputError: unknown;
    if (input) input(p.stdin!).catch((e: unknown) => (inputError = e)).finally(() => p.stdin!.end());
    p.on('close', (code) => {
      if (inputError) reject(inputError);
      else if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`${path.basename(cmd)} failed (${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

export async function probeVideo(file: string): Promise<VideoInfo> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_type,width,height,r_frame_rate,nb_read_packets', '-of', 'json', file]);
  const streams = (JSON.parse(stdout.toString()) as { streams: { codec_type: string; width?: number; height?: number; r_frame_rate?: string; nb_read_packets?: string }[] }).streams;
  const v = streams.find((s) => s.codec_type === 'video');
  if (!v || !v.width || !v.height || !v.r_frame_rate) throw new Error(`${file}: no video stream`);
  const [n, d] = v.r_frame_rate.split('/').map(Number);
  return { width: v.width, height: v.height, rate: v.r_frame_rate, fps: n / (d || 1), frames: Number(v.nb_read_packets), audio: streams.some((s) => s.codec_type === 'audio') };
}

/** [start, count] ranges of at most `size` frames covering the video. */
export function chunkRanges(frames: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < frames; s += size) out.push([s, Math.min(size, frames - s)]);
  return out;
}

/** Frames [start, start + count) as RGB images in [0, 1]. */
export async function decodeFrames(file: string, info: VideoInfo, start: number, count: number): Promise<RawImage[]> {
  const seek = start > 0 ? ['-ss', ((start - 0.5) / info.fps).toFixed(6)] : [];
  const { stdout } = await run(FFMPEG, ['-v', 'error', ...seek, '-i', file, '-map', '0:v:0', '-frames:v', String(count), '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  const { width: w, height: h } = info;
  const n = w * h;
  if (stdout.length !== count * 3 * n) throw new Error(`${file}: frames ${start}..${start + count - 1}: decoded ${stdout.length / (3 * n)} frames, expected ${count}`);
  return Array.from({ length: count }, (_, f) => {
    const data = new Float32Array(3 * n);
    const base = f * 3 * n;
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[c * n + i] = stdout[base + 3 * i + c] / 255;
    return { width: w, height: h, data };
  });
}

function rgb24(img: RawImage): Buffer {
  const n = img.width * img.height;
  const out = Buffer.allocUnsafe(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round(Math.min(1, Math.max(0, img.data[c * n + i])) * 255);
  return out;
}

function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Runs `write(tmp)` and renames tmp over `file` only when it succeeded. */
async function atomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempBeside(file);
  try {
    await write(tmp);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Frames to a lossless chunk file (FFV1 in Matroska), atomically. */
export async function writeChunk(file: string, frames: readonly RawImage[], rate: string): Promise<void> {
  const { width: w, height: h } = frames[0];
  await atomically(file, async (tmp) => {
    await run(
      FFMPEG,
      ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${w}x${h}`, '-r', rate, '-i', 'pipe:0', '-frames:v', String(frames.length), '-c:v', 'ffv1', '-pix_fmt', 'bgr0', '-f', 'matroska', tmp],
      async (stdin) => {
        for (const f of frames) if (!stdin.write(rgb24(f))) await new Promise((res) => stdin.once('drain', res));
      },
    );
  });
}

/** Chunks in order into one H.264 MP4 with the source's audio (if any), atomically. */
export async function joinChunks(chunks: readonly string[], source: string, output: string, rate: string): Promise<void> {
  await atomically(output, async (tmp) => {
    const list = `${tmp}.txt`;
    fs.writeFileSync(list, chunks.map((c) => `file '${path.resolve(c).replace(/'/g, "'\\''")}'\n`).join(''));
    try {
      await run(FFMPEG, [
        '-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-i', source,
        '-map', '0:v:0', '-map', '1:a?', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p',
        // yuv420p needs even sides; odd ones gain one copied edge row/column.
        '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-r', rate, '-c:a', 'aac', '-f', 'mp4', tmp,
      ]);
    } finally {
      fs.rmSync(list, { force: true });
    }
  });
}
