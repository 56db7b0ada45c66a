import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunkRanges, decodeFrames, probeVideo } from '../../src/batch/video.js';
import { Translator, resolveGenerator } from '../../src/gan/translate.js';
import { loadContent, loadFastModel, stylizeImage } from '../../src/fast/index.js';
import sharp from 'sharp';
import { demoScenePng, loadImage, encodeImage, readOptionsStamp } from '../../src/images/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const skip = spawnSync('ffmpeg', ['-version']).status === 0 ? false : 'ffmpeg is not installed';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-video-'));
const clip = path.join(tmp, 'clip.mp4');
const gen = path.join(FIXTURES_DIR, 'gan', 'fwd_resnet9_instance.pth');

/** Mean absolute difference of two frames. */
function mad(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

test('chunk ranges cover every frame once', () => {
  assert.deepEqual(chunkRanges(11, 4), [[0, 4], [4, 4], [8, 3]]);
  assert.deepEqual(chunkRanges(8, 4), [[0, 4], [4, 4]]);
  assert.deepEqual(chunkRanges(3, 100), [[0, 3]]);
});

test('a video in chunks on two workers: every frame once, in order, audio kept; a re-run skips it', { skip }, async () => {
  // 11 frames at 10 fps of waves that move a lot from frame to frame (N is the frame number), and a tone.
  const waves = "geq=r='128+127*sin(X/3+N)':g='128+127*sin(Y/2+2*N)':b='128+127*cos((X+Y)/4+3*N)'";
  const ff = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `nullsrc=size=32x24:rate=10,${waves}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050', '-t', '1.1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  assert.equal(ff.status, 0, ff.stderr?.toString());
  const file = path.join(tmp, 'job.json');
  fs.writeFileSync(file, JSON.stringify({ output: 'out', chunkFrames: 4, tasks: [{ translate: { inputs: ['clip.mp4'], model: gen } }] }));
  const r = await runCli(['batch', 'run', file, '--workers', '2', '--threads', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { done: number; outputs: string[] };
  assert.equal(rep.done, 4, 'three chunks and the assembly');
  const [out] = rep.outputs;
  assert.match(path.basename(out), /^clip__fwd_resnet9_instance\.[0-9a-f]{12}\.mp4$/);
  assert.ok(!fs.existsSync(path.join(tmp, 'out', 'translate', '.chunks', path.basename(out).split('.')[1])), 'chunks removed');

  const src = await probeVideo(clip);
  const info = await probeVideo(out);
  assert.equal(info.frames, src.frames);
  assert.equal(info.frames, 11);
  assert.equal(info.rate, '10/1');
  assert.ok(info.audio, 'audio kept');

  // Each output frame is the translation of the source frame at the same index: H.264 at 32x24
  // (chroma at 16x12) leaves about 0.03 mean difference, other frames 0.039 or more.
  const tr = new Translator(await resolveGenerator(gen), { threads: 1 });
  const expected: Float32Array[] = [];
  for (const f of await decodeFrames(clip, src, 0, src.frames)) expected.push((await tr.translate(f)).data);
  await tr.release();
  const got = await decodeFrames(out, info, 0, info.frames);
  for (let i = 0; i < got.length; i++) {
    const d = expected.map((e) => mad(got[i].data, e));
    const best = d.indexOf(Math.min(...d));
    assert.equal(best, i, `frame ${i}: closest to expected frame ${best} (${d.map((v) => v.toFixed(3)).join(' ')})`);
    assert.ok(d[i] < 0.036, `frame ${i}: mean difference ${d[i]}`);
  }
  const again = await runCli(['batch', 'run', file, '--json']);
  assert.equal(JSON.parse(again.stdout).skipped, 4);
});

test('a fast task: pictures as `fast stylize` gives them, a video in chunks with every frame', { skip }, async () => {
  const model = path.join(FIXTURES_DIR, 'fast', 'tiny_w4.pth');
  const photo = path.join(tmp, 'photo.png');
  fs.writeFileSync(photo, await demoScenePng('landscape', { width: 30, height: 22 }));
  const file = path.join(tmp, 'fast.json');
  fs.writeFileSync(file, JSON.stringify({ output: 'out-fast', chunkFrames: 6, tasks: [{ fast: { inputs: ['photo.png', 'clip.mp4'], model } }] }));
  const r = await runCli(['batch', 'run', file, '--threads', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { done: number; outputs: string[] };
  assert.equal(rep.done, 4, 'a picture, two chunks and the assembly');
  const [pic, vid] = rep.outputs;
  const net = await loadFastModel(model, { threads: 1 });
  const want = await stylizeImage(net, await loadContent(photo));
  await net.release();
  // The same pixels, and the options stamp every ai-art PNG carries.
  const raw = async (b: Buffer) => (await sharp(b).raw().toBuffer()).toString('base64');
  assert.equal(await raw(fs.readFileSync(pic)), await raw(await encodeImage(want, 'png')));
  assert.equal(readOptionsStamp(fs.readFileSync(pic))?.command, 'fast stylize');
  assert.equal((await loadImage(pic)).width, 30);
  const info = await probeVideo(vid);
  assert.equal(info.frames, 11);
  assert.ok(info.audio);
});
