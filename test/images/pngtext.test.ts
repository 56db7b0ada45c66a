import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { addPngText, encodeImage, optionsStamp, readOptionsStamp, readPngText, blankRaw } from '../../src/images/index.js';

test('PNG text chunks: written by encodeImage, read back, the pixels untouched, sharp still decodes', async () => {
  const img = blankRaw(5, 4, 0.25);
  const plain = await encodeImage(img, 'png');
  const stamped = await encodeImage(img, 'png', { text: optionsStamp('style', { size: 32, styleWeight: undefined, init: 'café' }, { content: 'c.png' }) });
  assert.ok(stamped.length > plain.length);
  const stamp = readOptionsStamp(stamped);
  assert.deepEqual(stamp, { v: 1, command: 'style', options: { size: 32, init: 'café' }, inputs: { content: 'c.png' } });
  // Pure ASCII on disk even for non-Latin text.
  assert.ok(!/[^\x00-\x7f]/.test(readPngText(stamped)['ai-art']));
  const a = await sharp(plain).raw().toBuffer();
  const b = await sharp(stamped).raw().toBuffer();
  assert.deepEqual(a, b);
  const meta = await sharp(stamped).metadata();
  assert.equal(meta.width, 5);
  // Replacing keeps one chunk per keyword.
  const again = addPngText(stamped, { 'ai-art': '{"v":1,"command":"x","options":{}}' });
  assert.equal(readOptionsStamp(again)?.command, 'x');
  assert.equal(again.toString('latin1').split('tEXtai-art').length, 2);
});

test('PNG text: foreign or broken input gives nothing, never throws', () => {
  assert.deepEqual(readPngText(Buffer.from('not a png')), {});
  assert.equal(readOptionsStamp(Buffer.from('GIF89a')), null);
  assert.throws(() => addPngText(Buffer.from('nope'), { a: 'b' }), /not a PNG/);
});
