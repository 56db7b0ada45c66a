/**
 * Video through Debian's ffmpeg: a clip ffmpeg makes here (test pattern with a sine-wave audio
 * track) comes back with the same frame count, frame rate, duration and an audio stream; an
 * interrupted run and a killed ffmpeg leave nothing at the output path (nor a temporary file);
 * a file without a video stream and a missing ffmpeg get clear errors; temporal smoothing
 * lowers the flicker measure. Skipped when ffmpeg is not installed.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FastError, loadFastModel, stylizeVideo, type FastModel } from '../../src/fast/index.js';
import { FAST_FIXTURES } from './helpers.js';

const FFMPEG = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0 && spawnSync('ffprobe', ['-version'], { stdio: 'ignore' }).status === 0;
const skip = FFMPEG ? false : 'ffmpeg/ffprobe not installed (Debian package ffmpeg)';

let dir: string;
let model: FastModel;

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/** A clip: testsrc at w x h and `rate` fps, a 440 Hz sine, `seconds` long, H.264 + AAC. */
function clip(name: string, seconds: number, extra: string[] = [], w = 96, h = 64, rate = 10): string {
  const f = path.join(dir, name);
  ffmpeg([
    '-f', 'lavfi', '-i', `testsrc=size=${w}x${h}:rate=${rate}`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds), ...extra, '-c:v', 'libx264', '-pix_fmt', w % 2 || h % 2 ? 'yuv444p' : 'yuv420p', '-c:a', 'aac', f,
  ]);
  return f;
}

interface Probed {
  streams: { codec_type: string; r_frame_rate: string; nb_read_frames?: string; duration?: string }[];
  format: { duration: string };
}

function probe(f: string): Probed {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,r_frame_rate,nb_read_frames,duration:format=duration', '-of', 'json', f], { encoding: 'utf8' });
  return JSON.parse(r.stdout) as Probed;
}

function leftovers(): string[] {
  return readdirSync(dir).filter((f) => f.includes('.part') || f.startsWith('.'));
}

describe('video', { skip, timeout: 300_000 }, () => {
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ai-art-video-'));
    model = await loadFastModel(path.join(FAST_FIXTURES, 'tiny_w4.pth'), { threads: 2 });
  });
  after(async () => {
    await model?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  test('frame count, frame rate, duration and audio are kept', async () => {
    const input = clip('in.mp4', 2);
    const output = path.join(dir, 'out.mp4');
    const seen: number[] = [];
    const r = await stylizeVideo(model, input, output, { batch: 3, onProgress: (p) => seen.push(p.frames) });
    const a = probe(input);
    const b = probe(output);
    const va = a.streams.find((s) => s.codec_type === 'video')!;
    const vb = b.streams.find((s) => s.codec_type === 'video')!;
    assert.equal(vb.nb_read_frames, va.nb_read_frames);
    assert.equal(vb.nb_read_frames, '20');
    assert.equal(vb.r_frame_rate, '10/1');
    assert.ok(Math.abs(Number(b.format.duration) - Number(a.format.duration)) < 0.06, `duration ${b.format.duration} vs ${a.format.duration}`);
    assert.ok(b.streams.some((s) => s.codec_type === 'audio'), 'an audio stream');
    assert.equal(r.frames, 20);
    assert.equal(r.audio, true);
    assert.deepEqual(seen, [3, 6, 9, 12, 15, 18, 20], 'progress after every batch');
    assert.ok(r.flicker.input > 0 && r.flicker.ratio !== null);
    assert.deepEqual(leftovers(), []);
  });

  test('--size resizes (to even sizes) and odd input sizes are kept', async () => {
    const input = clip('odd.mkv', 0.5, [], 97, 65);
    const out = path.join(dir, 'odd-out.mkv');
    const r = await stylizeVideo(model, input, out);
    assert.deepEqual([r.width, r.height], [97, 65]);
    const r2 = await stylizeVideo(model, input, path.join(dir, 'small.webm'), { size: 50 });
    assert.deepEqual([r2.width, r2.height], [50, 34]);
    assert.equal(r2.frames, 5);
  });

  test('an interrupted run leaves nothing at the output path', async () => {
    const input = clip('long.mp4', 4);
    const output = path.join(dir, 'interrupted.mp4');
    const ctrl = new AbortController();
    await assert.rejects(
      stylizeVideo(model, input, output, { batch: 1, signal: ctrl.signal, onProgress: (p) => p.frames === 3 && ctrl.abort() }),
      (e: Error) => e instanceof FastError && /interrupted/.test(e.message),
    );
    assert.equal(existsSync(output), false);
    assert.deepEqual(leftovers(), []);
  });

  test('a killed encoder fails the run clearly and leaves nothing behind', async () => {
    const input = clip('long2.mp4', 4);
    const output = path.join(dir, 'killed.mp4');
    // An ffmpeg whose encoding instance (the one reading pipe:0) is killed after a moment.
    const wrapper = path.join(dir, 'ffmpeg');
    writeFileSync(
      wrapper,
      '#!/bin/bash\nif [[ " $* " == *" pipe:0 "* ]]; then\n  ffmpeg "$@" <&0 &\n  pid=$!\n  sleep 0.4\n  kill -9 $pid\n  wait $pid\n  exit 137\nfi\nexec ffmpeg "$@"\n',
    );
    chmodSync(wrapper, 0o755);
    await assert.rejects(
      stylizeVideo(model, input, output, { batch: 1, ffmpeg: wrapper, ffprobe: 'ffprobe' }),
      (e: Error) => e instanceof FastError && /ffmpeg failed writing .*killed\.mp4: ffmpeg exited with code 137/.test(e.message),
    );
    assert.equal(existsSync(output), false);
    assert.deepEqual(leftovers().filter((f) => f !== 'ffmpeg'), []);
    rmSync(wrapper);
  });

  test('a file without a video stream, a missing ffmpeg, an unwritable folder: clear errors', async () => {
    const audio = path.join(dir, 'sound.mp4');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '1', '-c:a', 'aac', audio]);
    await assert.rejects(stylizeVideo(model, audio, path.join(dir, 'x.mp4')), /sound\.mp4: has no video stream \(streams: audio aac\)/);
    const input = clip('small.mp4', 0.5);
    await assert.rejects(
      stylizeVideo(model, input, path.join(dir, 'x.mp4'), { ffmpeg: '/nonexistent/bin/ffmpeg' }),
      /ffprobe is needed for video and was not found \(no program at \/nonexistent\/bin\/ffprobe\): install Debian's package ffmpeg/,
    );
    await assert.rejects(
      stylizeVideo(model, input, path.join(dir, 'x.mp4'), { ffmpeg: 'ffmpeg-not-installed-here', ffprobe: 'ffprobe' }),
      /ffmpeg-not-installed-here is needed for video and was not found \(no 'ffmpeg-not-installed-here' on PATH\): install Debian's package ffmpeg/,
    );
    await assert.rejects(stylizeVideo(model, input, '/sys/x.mp4'), /cannot write to \/sys: permission denied/);
    await assert.rejects(stylizeVideo(model, input, path.join(dir, 'no-such-folder', 'x.mp4')), /the folder does not exist/);
    await assert.rejects(stylizeVideo(model, input, input), /would overwrite the input/);
    assert.equal(existsSync(path.join(dir, 'x.mp4')), false);
    assert.deepEqual(leftovers(), []);
  });

  test('temporal smoothing lowers the flicker of a noisy clip', async () => {
    // Per-frame noise on a mostly still picture: what makes stylised video flicker.
    const input = clip('noisy.mp4', 2, ['-vf', 'noise=alls=12:allf=t']);
    const plain = await stylizeVideo(model, input, path.join(dir, 'plain.mp4'));
    const smooth = await stylizeVideo(model, input, path.join(dir, 'smooth.mp4'), { temporalSmoothing: 0.8 });
    assert.equal(plain.temporalSmoothing, 0);
    assert.ok(plain.flicker.ratio !== null && smooth.flicker.ratio !== null);
    assert.ok(smooth.flicker.ratio < 0.8 * plain.flicker.ratio, `flicker ${smooth.flicker.ratio} with smoothing vs ${plain.flicker.ratio} without`);
    assert.equal(smooth.flicker.input, plain.flicker.input);
  });
});
