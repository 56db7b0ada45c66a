/**
 * Debian's ffmpeg and ffprobe as child processes: finding them (a clear message naming the
 * package when they are missing), and what ffprobe says about a video.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { FastError } from './errors.js';

export interface FfmpegPaths {
  /** The ffmpeg binary (default `ffmpeg` on PATH). */
  ffmpeg?: string;
  /** The ffprobe binary (default: beside an explicit ffmpeg, else `ffprobe` on PATH). */
  ffprobe?: string;
}

export function ffmpegBin(p: FfmpegPaths): string {
  return p.ffmpeg ?? 'ffmpeg';
}

export function ffprobeBin(p: FfmpegPaths): string {
  if (p.ffprobe) return p.ffprobe;
  if (p.ffmpeg && /[/\\]/.test(p.ffmpeg)) return path.join(path.dirname(p.ffmpeg), 'ffprobe');
  return 'ffprobe';
}

export function missingBinary(bin: string): FastError {
  const name = path.basename(bin);
  const where = /[/\\]/.test(bin) ? `no program at ${bin}` : `no '${bin}' on PATH`;
  return new FastError(
    `${name} is needed for video and was not found (${where}): install Debian's package ffmpeg (apt install ffmpeg), or pass --ffmpeg PATH`,
  );
}

/** Spawns `bin`; a missing program becomes missingBinary's message through the 'error' event. */
export function spawnTool(bin: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** How a child process ended, with the last lines it wrote to stderr. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Resolves when the process has exited (rejects only when it could not start). */
export function exited(child: ChildProcess, bin: string): Promise<Exit> {
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'EACCES' ? missingBinary(bin) : e));
    child.once('close', (code, signal) => resolve({ code, signal, stderr: stderr.trim() }));
  });
}

export function describeExit(e: Exit): string {
  const how = e.signal ? `was killed (${e.signal})` : `exited with code ${e.code}`;
  const last = e.stderr.split('\n').slice(-3).join(' / ');
  return last ? `${how}: ${last}` : how;
}

export interface VideoInfo {
  width: number;
  height: number;
  /** Frame rate as ffmpeg writes it (num/den). */
  fps: string;
  fpsValue: number;
  /** Frames the container declares, else estimated from the duration; null when neither is known. */
  frames: number | null;
  duration: number | null;
  codec: string;
  audio: { codec: string } | null;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
}

function rate(s: string | undefined): number {
  const m = /^(\d+)\/(\d+)$/.exec(s ?? '');
  if (!m || Number(m[2]) === 0) return 0;
  return Number(m[1]) / Number(m[2]);
}

export async function probeVideo(file: string, p: FfmpegPaths = {}): Promise<VideoInfo> {
  const bin = ffprobeBin(p);
  const child = spawnTool(bin, ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,r_frame_rate,avg_frame_rate,nb_frames,duration:format=duration', '-of', 'json', file]);
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => (out += d));
  const ex = await exited(child, bin);
  if (ex.code !== 0) throw new FastError(`${file}: not a video ffprobe can read (ffprobe ${describeExit(ex)})`);
  const j = JSON.parse(out) as { streams?: ProbeStream[]; format?: { duration?: string } };
  const streams = j.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && s.width && s.height);
  if (!v) {
    const kinds = streams.map((s) => `${s.codec_type ?? '?'} ${s.codec_name ?? ''}`.trim()).join(', ') || 'none';
    throw new FastError(`${file}: has no video stream (streams: ${kinds})`);
  }
  const a = streams.find((s) => s.codec_type === 'audio');
  const avg = rate(v.avg_frame_rate);
  const fps = avg > 0 ? v.avg_frame_rate! : v.r_frame_rate ?? '25/1';
  const fpsValue = rate(fps) || 25;
  const duration = Number(v.duration ?? j.format?.duration ?? NaN);
  const declared = Number(v.nb_frames ?? NaN);
  const frames = Number.isFinite(declared) && declared > 0 ? declared : Number.isFinite(duration) ? Math.round(duration * fpsValue) : null;
  return {
    width: v.width!,
    height: v.height!,
    fps,
    fpsValue,
    frames,
    duration: Number.isFinite(duration) ? duration : null,
    codec: v.codec_name ?? '?',
    audio: a ? { codec: a.codec_name ?? '?' } : null,
  };
}
