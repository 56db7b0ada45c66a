/**
 * `ai-art fast stylize` as a user runs it: pictures, folders, a hub name pulled from a zip on a
 * loopback mirror, video with Ctrl-C; and bad input (another architecture, a model with the
 * wrong input rank, a missing ffmpeg, an unwritable folder) with one clear line, no stack
 * trace, nothing half-written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { F, Graph, toOnnxBytes } from '../../src/engine/index.js';
import { demoScenePng, loadImage } from '../../src/images/index.js';
import { TransformerNet } from '../../src/models/networks.js';
import { HostTensor, REGISTRY, writePth } from '../../src/weights/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { makeZip } from '../helpers/zip.js';
import { TestServer } from '../weights/helpers/server.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-cli-fast-'));
const tiny = path.join(FIXTURES_DIR, 'fast', 'tiny_w4.pth');
const ffmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
let pic: string;
let server: TestServer;

/** One line on stderr, no stack trace. */
function clearError(stderr: string, re: RegExp): void {
  assert.match(stderr, re);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

before(async () => {
  pic = path.join(tmp, 'pic.png');
  fs.writeFileSync(pic, await demoScenePng('landscape', { width: 50, height: 38 }));
  server = await TestServer.start();
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a picture to a file, a folder to a folder, --json', async () => {
  const out = path.join(tmp, 'one.jpg');
  const r = await runCli(['fast', 'stylize', pic, '--model', tiny, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout.trim()) as { description: string; outputs: { output: string; width: number; height: number; kind: string }[] };
  assert.match(rep.description, /TransformerNet \(4-channel width\)/);
  assert.deepEqual(rep.outputs.map((o) => [o.output, o.kind, o.width, o.height]), [[out, 'image', 50, 38]]);
  const img = await loadImage(out);
  assert.deepEqual([img.width, img.height], [50, 38]);

  const dir = path.join(tmp, 'in');
  fs.mkdirSync(dir);
  fs.copyFileSync(pic, path.join(dir, 'a.png'));
  fs.writeFileSync(path.join(dir, 'b.png'), await demoScenePng('waves', { width: 33, height: 21 }));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a picture');
  const outDir = path.join(tmp, 'styled');
  const r2 = await runCli(['fast', 'stylize', dir, '--model', tiny, '-o', outDir, '--content-scale', '2']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(fs.readdirSync(outDir).sort(), ['a.png', 'b.png']);
  const b = await loadImage(path.join(outDir, 'b.png'));
  assert.deepEqual([b.width, b.height], [16, 10], 'int(33 / 2) x int(21 / 2)');
});

test('a hub name: the model is extracted from the zip on the mirror and used', async () => {
  const net = new TransformerNet({ width: 'full', seed: 5 });
  const sd = new Map([...net.stateDict()].map(([k, v]) => [k, HostTensor.of(v.data as Float32Array, [...v.shape])]));
  const pth = path.join(tmp, 'candy.pth');
  await writePth(pth, sd);
  const entry = REGISTRY.find((e) => e.name === 'fast/candy')!;
  server.files.set(new URL(entry.url).pathname, makeZip([['saved_models/candy.pth', fs.readFileSync(pth)]]));
  const env = { AI_ART_HOME: path.join(tmp, 'home'), AI_ART_HUB_MIRROR: server.url };
  const out = path.join(tmp, 'candy.png');
  const r = await runCli(['fast', 'stylize', pic, '--model', 'candy', '-o', out], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /TransformerNet \(full width\) from .*fast_neural_style\/candy\.pth/);
  assert.ok(fs.existsSync(out));
});

test('bad models: another architecture names its keys, a wrong input rank is refused', async () => {
  const out = path.join(tmp, 'bad.png');
  const r = await runCli(['fast', 'stylize', pic, '--model', path.join(FIXTURES_DIR, 'gan', 'fwd_basic_instance.pth'), '-o', out]);
  assert.equal(r.code, 1);
  clearError(r.stderr, /fwd_basic_instance\.pth is not a TransformerNet .* missing keys: conv1\.conv2d\.weight, .*unexpected keys: model\.\d/);
  const g = new Graph();
  const rank3 = path.join(tmp, 'rank3.onnx');
  fs.writeFileSync(rank3, toOnnxBytes({ y: F.mul(g.input('image', [3, 38, 50]), 2) }));
  const r2 = await runCli(['fast', 'stylize', pic, '--model', rank3, '-o', out]);
  assert.equal(r2.code, 1);
  clearError(r2.stderr, /rank3\.onnx: input image \[3,38,50\] has rank 3; fast stylize needs an NCHW image input/);
  assert.equal(fs.existsSync(out), false);
});

test('an unwritable output folder is reported before any work', async () => {
  const r = await runCli(['fast', 'stylize', pic, '--model', tiny, '-o', '/sys/out.png']);
  assert.equal(r.code, 1);
  clearError(r.stderr, /cannot write to \/sys: permission denied/);
  const r2 = await runCli(['fast', 'stylize', pic, '--model', tiny, '-o', path.join(tmp, 'x.txt')]);
  assert.equal(r2.code, 1);
  clearError(r2.stderr, /write pictures as \.png, \.jpg or \.webp/);
});

test('video: a missing ffmpeg is named with its Debian package; Ctrl-C leaves nothing', { skip: ffmpeg ? false : 'ffmpeg not installed' }, async () => {
  const clip = path.join(tmp, 'clip.mp4');
  const made = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=10', '-f', 'lavfi', '-i', 'sine', '-t', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', clip]);
  assert.equal(made.status, 0);
  const out = path.join(tmp, 'clip-out.mp4');
  const r = await runCli(['fast', 'stylize', clip, '--model', tiny, '-o', out, '--ffmpeg', '/nonexistent/ffmpeg']);
  assert.equal(r.code, 1);
  clearError(r.stderr, /ffprobe is needed for video and was not found .*install Debian's package ffmpeg/);

  let sent = false;
  const r2 = await runCli(['fast', 'stylize', clip, '--model', tiny, '-o', out, '--batch', '1'], {
    onStderr: (chunk, kill) => {
      if (!sent && /clip\.mp4 \[#/.test(chunk)) {
        sent = true;
        kill('SIGINT');
      }
    },
  });
  assert.ok(sent, r2.stderr);
  assert.equal(r2.code, 130, r2.stderr);
  assert.match(r2.stderr, /interrupted; 0 output\(s\) finished, nothing half-written/);
  assert.equal(fs.existsSync(out), false);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.part')), []);
});
