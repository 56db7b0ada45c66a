/** The studio's API refuses what it must: limits, types, traversal, malformed requests (4xx, never a crash). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Studio } from '../../src/studio/server.js';
import { picture, postJson, startStudio, tempHome, upload } from './helpers.js';

let studio: Studio;
let url: string;
const home = tempHome('studio-api');

before(async () => {
  studio = await startStudio(home.dir, { limits: { maxUploadBytes: 64 * 1024, maxPixels: 200 * 200, maxSide: 300 } });
  url = studio.url;
});
after(async () => {
  await studio.close();
  home.remove();
});

async function errorOf(res: Response): Promise<string> {
  const j = (await res.json()) as { error?: string };
  assert.equal(typeof j.error, 'string', 'a 4xx carries a message');
  return j.error!;
}

test('binds loopback and answers health', async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${url}/api/health`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { ok: true, home: home.dir });
});

test('uploads: an image is typed from its bytes, not its name, and keeps its size', async () => {
  const jpeg = await picture(40, 30, 0, 'jpeg');
  const r = await upload(url, jpeg, 'named-as.png');
  assert.equal(r.status, 201);
  const info = (await r.json()) as { id: string; format: string; width: number; height: number; name: string };
  assert.equal(info.format, 'jpeg');
  assert.deepEqual([info.width, info.height], [40, 30]);
  assert.match(info.id, /^[0-9a-f]{64}$/);
  const back = await fetch(`${url}/api/uploads/${info.id}`);
  assert.equal(back.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual(Buffer.from(await back.arrayBuffer()), jpeg);
});

test('uploads: text named .png, an executable, an empty file are refused by content', async () => {
  let r = await upload(url, Buffer.from('<script>alert(1)</script>'), 'evil.png');
  assert.equal(r.status, 415);
  assert.match(await errorOf(r), /not an image/);
  r = await upload(url, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'a.jpg');
  assert.equal(r.status, 415);
  r = await upload(url, Buffer.alloc(0), 'empty.png');
  assert.equal(r.status, 400);
});

test('uploads: the byte limit, the pixel limit and the side limit', async () => {
  const noise = Buffer.alloc(100 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  let r = await upload(url, noise, 'big.png');
  assert.equal(r.status, 413);
  await errorOf(r);
  // 250x250 = 62500 pixels > 40000, in few bytes (a flat picture compresses well).
  const flat = await (await import('sharp')).default({ create: { width: 250, height: 250, channels: 3, background: '#808080' } }).png().toBuffer();
  assert.ok(flat.length < 64 * 1024);
  r = await upload(url, flat, 'many.png');
  assert.equal(r.status, 413);
  assert.match(await errorOf(r), /pixels/);
  const long = await (await import('sharp')).default({ create: { width: 400, height: 10, channels: 3, background: '#808080' } }).png().toBuffer();
  r = await upload(url, long, 'long.png');
  assert.equal(r.status, 413);
  assert.match(await errorOf(r), /longest side/);
});

test('uploads: a truncated PNG is refused at the door', async () => {
  const png = await picture(64, 64);
  const r = await upload(url, png.subarray(0, Math.floor(png.length * 0.6)), 'cut.png');
  assert.equal(r.status, 422);
  await errorOf(r);
});

test('uploads: not multipart, or no file, gives a 4xx', async () => {
  let r = await postJson(`${url}/api/uploads`, { file: 'x' });
  assert.equal(r.status, 415);
  const fd = new FormData();
  fd.append('note', 'no file here');
  r = await fetch(`${url}/api/uploads`, { method: 'POST', body: fd });
  assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
});

test('no path traversal: ids and file names are checked before any file is touched', async () => {
  for (const p of [
    '/api/uploads/..%2F..%2Fetc%2Fpasswd',
    '/api/uploads/../../etc/passwd',
    `/api/uploads/${'a'.repeat(63)}g`,
    '/api/jobs/..%2F..%2F/files/result.png',
    '/api/jobs/abc/files/..%2Fjob.json',
    '/api/jobs/abc/files/job.json',
    '/api/runs/0/..%2F..%2Fetc/images/x.png',
    '/api/runs/0/.../images/..%2Fx.png',
    '/ort/..%2F..%2Fpackage.json',
  ]) {
    const r = await fetch(`${url}${p}`);
    assert.ok(r.status >= 400 && r.status < 500, `${p}: ${r.status}`);
    const text = await r.text();
    assert.doesNotMatch(text, /root:|"dependencies"/, p);
  }
  const r = await fetch(`${url}/api/uploads/${'0'.repeat(64)}`);
  assert.equal(r.status, 404);
});

test('jobs: malformed and invalid requests get a 400 with a message', async () => {
  const img = (await (await upload(url, await picture(32, 24))).json()) as { id: string };
  const bad: [unknown, RegExp][] = [
    [{ kind: 'nope' }, /kind/],
    [{ kind: 'style', content: img.id, styles: [{ id: img.id }], options: { size: 5 } }, /size/],
    [{ kind: 'style', content: img.id, styles: [{ id: img.id }], options: { weights: '/etc/passwd' } }, /weights/],
    [{ kind: 'style', content: img.id, styles: [{ id: img.id }], options: { init: '/etc/passwd' } }, /init/],
    [{ kind: 'style', content: img.id, styles: [{ id: img.id }], options: { bogus: 1 } }, /additional/],
    [{ kind: 'style', content: img.id, styles: [] }, /styles/],
    [{ kind: 'style', content: img.id, styles: [{ id: '0'.repeat(64) }] }, /no upload/],
    [{ kind: 'style', content: '../../x', styles: [{ id: img.id }] }, /content/],
    [{ kind: 'style', content: img.id, styles: [{ id: img.id, weight: 0 }] }, /positive/],
    [{ kind: 'style', content: img.id, styles: [{ id: img.id }], options: { contentLayers: 'conv9_9' } }, /contentLayers/],
    [{ kind: 'explore', explore: { experiment: 'strokes', layer: 'pool1', image: img.id } }, /layer/],
  ];
  for (const [body, re] of bad) {
    const r = await postJson(`${url}/api/jobs`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(await errorOf(r), re, JSON.stringify(body));
  }
  let r = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind": "style",' });
  assert.equal(r.status, 400);
  await errorOf(r);
  r = await fetch(`${url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(r.status, 413);
  r = await fetch(`${url}/api/jobs/nope-123`);
  assert.equal(r.status, 404);
  r = await fetch(`${url}/api/jobs/NOT_AN_ID!`);
  assert.equal(r.status, 400);
  r = await fetch(`${url}/api/nothing`);
  assert.equal(r.status, 404);
  // Still alive after all that.
  assert.equal((await fetch(`${url}/api/health`)).status, 200);
});

test('translate: bad model names, bodies and .pth uploads get a 4xx', async () => {
  const png = await picture(32, 32);
  let r = await fetch(`${url}/api/translate?model=..%2F..%2Fetc`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) });
  assert.equal(r.status, 400);
  r = await fetch(`${url}/api/translate?model=no_such_model`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) });
  assert.equal(r.status, 404);
  r = await fetch(`${url}/api/translate?model=upload:${'0'.repeat(64)}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(png) });
  assert.equal(r.status, 404);
  r = await fetch(`${url}/api/translate?model=horse2zebra`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: Buffer.from('not a png') });
  assert.equal(r.status, 415);
  r = await upload(url, Buffer.from('just text'), 'model.pth', '/api/models');
  assert.equal(r.status, 415);
  // A zip that is no checkpoint, and a pickle that calls os.system: the allow-list reader refuses both.
  r = await upload(url, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(64)]), 'z.pth', '/api/models');
  assert.equal(r.status, 422);
  const evil = Buffer.from('\x80\x02cposix\nsystem\nq\x00X\x05\x00\x00\x00touchq\x01\x85q\x02Rq\x03.', 'latin1');
  r = await upload(url, evil, 'evil.pth', '/api/models');
  assert.equal(r.status, 422);
  assert.match(await errorOf(r), /not a usable generator checkpoint/);
});
