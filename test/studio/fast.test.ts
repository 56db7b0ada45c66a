/** Fast styles through the API: an uploaded TransformerNet .pth comes back as ONNX that onnxruntime runs. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { startStudio, tempHome, tinyFastStyle, upload } from './helpers.js';

const home = tempHome('studio-fast');
after(() => home.remove());

test('a TransformerNet upload is checked, listed, and exported to ONNX at the size asked', async () => {
  const studio = await startStudio(home.dir);
  try {
    const file = path.join(home.dir, 'tiny_style.pth');
    await tinyFastStyle(file);
    const r = await upload(studio.url, readFileSync(file), 'tiny_style.pth', '/api/fast/models');
    assert.equal(r.status, 201, await r.clone().text());
    const m = (await r.json()) as { model: string; description: string; format: string };
    assert.equal(m.format, 'pth');
    assert.match(m.description, /TransformerNet/);
    const list = (await (await fetch(`${studio.url}/api/fast/models`)).json()) as { model: string }[];
    assert.ok(list.some((x) => x.model === m.model));
    const res = await fetch(`${studio.url}/api/fast/onnx?model=${m.model}&height=48&width=64`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-value-range'), '255');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor('float32', new Float32Array(3 * 48 * 64).fill(128), [1, 3, 48, 64]);
    const out = (await session.run({ [session.inputNames[0]]: x }))[session.outputNames[0]];
    assert.deepEqual(out.dims, [1, 3, 48, 64]);
    await session.release();
    // Bad requests.
    assert.equal((await fetch(`${studio.url}/api/fast/onnx?model=${m.model}&height=50&width=64`)).status, 400);
    assert.equal((await fetch(`${studio.url}/api/fast/onnx?model=nope&height=48&width=64`)).status, 404);
    assert.equal((await upload(studio.url, Buffer.from('hello'), 'x.onnx', '/api/fast/models')).status, 415);
    const gen = await upload(studio.url, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(40)]), 'x.pth', '/api/fast/models');
    assert.equal(gen.status, 422);
  } finally {
    await studio.close();
  }
});
