import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoScenePng, loadImage } from '../../src/images/index.js';
import { runCli } from '../helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-cli-'));
const content = path.join(tmp, 'content.png');
const style = path.join(tmp, 'style.png');
fs.writeFileSync(content, await demoScenePng('landscape', { width: 64, height: 48 }));
fs.writeFileSync(style, await demoScenePng('mosaic', { width: 64, height: 48 }));

test('ai-art style writes the image, frames and a JSON report', async () => {
  const out = path.join(tmp, 'out.png');
  const r = await runCli(['style', content, style, '-o', out, '--size', '40', '--iterations', '6', '--weights', 'random', '--save-every', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout.trim());
  assert.equal(rep.evaluations, 6);
  assert.equal(rep.output, out);
  for (const k of ['total', 'content', 'style', 'tv']) assert.equal(typeof rep.final[k], 'number');
  assert.ok(rep.seconds_per_evaluation > 0);
  const img = await loadImage(out);
  assert.deepEqual([img.width, img.height], [40, 30]);
  assert.ok(fs.existsSync(path.join(tmp, 'out_3.png')) && fs.existsSync(path.join(tmp, 'out_6.png')));
});

test('bad input gets a clear message and a non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['style', content, style, '-o', path.join(tmp, 'missing', 'o.png')], /output folder .*missing does not exist/],
    [['style', content, style, '-o', path.join(tmp, 'o.png'), '--style-layers', 'conv9_1'], /unknown VGG-19 layer 'conv9_1'; valid layers: conv1_1/],
    [['style', content, style, '-o', path.join(tmp, 'o.png'), '--content-weight', '-1', '--weights', 'random'], /--content-weight must be a number ≥ 0, got -1/],
    [['style', path.join(tmp, 'nope.jpg'), style, '-o', path.join(tmp, 'o.png'), '--weights', 'random'], /nope\.jpg/],
    [['style', content, style, '-o', path.join(tmp, 'o.png'), '--stlye-weight', '3'], /unknown option --stlye-weight \(did you mean --style-weight\?\)/],
    [['style', content, '-o', path.join(tmp, 'o.png')], /usage: ai-art style CONTENT STYLE/],
    [['nonsense'], /unknown command 'nonsense'/],
    // A wrong value is named first, whatever else is wrong (missing files, missing folders).
    [['style', path.join(tmp, 'nope.jpg'), style, '-o', path.join(tmp, 'missing', 'o.png'), '--size', '3'], /--size must be a whole number ≥ 16, got 3/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
    assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('a non-image file is refused by name', async () => {
  const bad = path.join(tmp, 'fake.png');
  fs.writeFileSync(bad, 'this is not a picture');
  const r = await runCli(['style', bad, style, '-o', path.join(tmp, 'o.png'), '--weights', 'random']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /fake\.png/);
});

test('Ctrl-C keeps the last frame', async () => {
  const out = path.join(tmp, 'interrupted.png');
  let sent = false;
  const r = await runCli(['style', content, style, '-o', out, '--size', '40', '--iterations', '400', '--weights', 'random'], {
    onStderr: (chunk, kill) => {
      if (!sent && /style \[/.test(chunk)) {
        sent = true;
        kill('SIGINT');
      }
    },
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted/);
  const img = await loadImage(out);
  assert.equal(img.width, 40);
});

test('ai-art demo runs offline and writes results and a contact sheet', async () => {
  const dir = path.join(tmp, 'demo');
  const r = await runCli(['demo', '-o', dir, '--size', '48', '--iterations', '4', '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['content.png', 'style_swirls.png', 'swirls.png', 'mosaic.png', 'sheet.png']) assert.ok(fs.existsSync(path.join(dir, f)), f);
  const rep = JSON.parse(r.stdout.trim());
  assert.equal(rep.reports.swirls.evaluations, 4);
});

test('ai-art explore strokes lays out one labelled cell per layer', async () => {
  const out = path.join(tmp, 'strokes.png');
  const r = await runCli(['explore', 'strokes', style, '--layers', 'conv1_1,conv2_1', '--size', '32', '--iterations', '3', '--weights', 'random', '-o', out, '-q']);
  assert.equal(r.code, 0, r.stderr);
  const sheet = await loadImage(out);
  assert.ok(sheet.width > sheet.height, 'three cells in a row');
  const bad = await runCli(['explore', 'content', content, '--layers', 'conv1_1,nope', '-o', out, '--weights', 'random']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unknown VGG-19 layer 'nope'/);
});
