/**
 * The hub's fast style transfer entries against a real HTTP server on 127.0.0.1: a model
 * published inside a zip of several checkpoints (pytorch/examples' saved_models.zip) is
 * extracted from it, the zip is fetched once for all its members, a damaged zip is deleted
 * with a clear error; ONNX entries are checked by their full sha256 and their declared input.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HostTensor, Hub, HubError, REGISTRY, writePth, type HubEntry } from '../../src/weights/index.js';
import { TestServer } from './helpers/server.js';
import { makeZip } from '../helpers/zip.js';
import { FAST_FIXTURES } from '../fast/helpers.js';

let server: TestServer;
let root: string;
let home: string;
let n = 0;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A checkpoint whose conv1 has TransformerNet's full-width shape (the probe), filled with `fill`. */
async function tnetCheckpoint(fill: number): Promise<Buffer> {
  const p = path.join(root, `t-${n++}.pth`);
  const sd = new Map<string, HostTensor>([
    ['conv1.conv2d.weight', HostTensor.of(new Float32Array(32 * 3 * 81).fill(fill), [32, 3, 9, 9])],
    ['in1.running_mean', HostTensor.of(new Float32Array(32).fill(fill), [32])],
  ]);
  await writePth(p, sd);
  return readFile(p);
}

const registryFast = (): HubEntry[] => REGISTRY.filter((e) => e.name.startsWith('fast/') || e.name.startsWith('onnx-zoo/'));

function hubWith(entries: readonly HubEntry[]): Hub {
  return new Hub({ dir: path.join(home, 'models'), torchHubDir: null, mirror: server.url, registry: entries });
}

async function hubError(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HubError, `expected HubError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ai-art-hub-fast-'));
  server = await TestServer.start();
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  home = path.join(root, `home-${n++}`);
  await mkdir(home, { recursive: true });
  server.requests.length = 0;
  server.files.clear();
});

test('registry: four pytorch/examples models in one zip, five ONNX zoo models with published hashes', () => {
  const fast = REGISTRY.filter((e) => e.name.startsWith('fast/'));
  assert.deepEqual(fast.map((e) => e.aliases[0]).sort(), ['candy', 'mosaic', 'rain_princess', 'udnie']);
  assert.equal(new Set(fast.map((e) => e.url)).size, 1, 'one zip');
  assert.match(fast[0].url, /dropbox\.com\/s\/lrvwfehqdcxoza8\/saved_models\.zip/);
  const zoo = REGISTRY.filter((e) => e.name.startsWith('onnx-zoo/'));
  assert.deepEqual(zoo.map((e) => e.fileName).sort(), ['candy-9.onnx', 'mosaic-9.onnx', 'pointilism-9.onnx', 'rain-princess-9.onnx', 'udnie-9.onnx']);
  for (const e of zoo) assert.match(e.sha256 ?? '', /^[0-9a-f]{64}$/);
});

test('archive entries: the member is extracted, the zip fetched once for every model in it', async () => {
  const candy = await tnetCheckpoint(1);
  const mosaic = await tnetCheckpoint(2);
  const zip = makeZip([
    ['saved_models/candy.pth', candy],
    ['__MACOSX/saved_models/._candy.pth', Buffer.from('resource fork')],
    ['saved_models/mosaic.pth', mosaic],
  ]);
  const entries = registryFast();
  server.files.set(new URL(entries[0].url).pathname, zip);
  const hub = hubWith(entries);
  const r = await hub.pull('candy');
  assert.equal(r.name, 'fast/candy');
  assert.equal(r.downloaded, true);
  assert.deepEqual(await readFile(r.path), candy);
  assert.equal(r.sha256, sha(candy));
  assert.equal(path.basename(r.path), 'candy.pth');
  const m = await hub.ensure('mosaic');
  assert.deepEqual(await readFile(m), mosaic);
  assert.equal(server.requests.length, 1, 'the kept zip serves the second model');
  assert.equal(await hub.resolve('fast/candy'), r.path);
  // Trust on first use: the extracted member's hash is pinned.
  const state = JSON.parse(await readFile(path.join(hub.dir, 'state.json'), 'utf8')) as { pins: Record<string, string> };
  assert.equal(state.pins['fast/candy'], sha(candy));
});

test('archive entries: a zip without the member or with a bad CRC is deleted with a clear error', async () => {
  const entries = registryFast();
  const url = new URL(entries[0].url).pathname;
  server.files.set(url, makeZip([['saved_models/other.pth', Buffer.from('x')]]));
  const hub = hubWith(entries);
  await hubError(hub.pull('udnie'), 'invalid-file', /has no member saved_models\/udnie\.pth.*deleted/);
  assert.equal(existsSync(hub.archivePath(hub.lookup('udnie'))!), false);
  assert.equal(existsSync(hub.cachePath(hub.lookup('udnie'))), false);

  const good = await tnetCheckpoint(3);
  const bad = makeZip([['saved_models/udnie.pth', good]], { store: true });
  bad[bad.indexOf(good) + 100] ^= 0xff;
  server.files.set(url, bad);
  await hubError(hub.pull('udnie'), 'invalid-file', /CRC/);
  server.files.set(url, makeZip([['saved_models/udnie.pth', good]]));
  assert.deepEqual(await readFile((await hub.pull('udnie')).path), good);
});

test('archive entries: a member that is not a TransformerNet checkpoint is refused', async () => {
  const entries = registryFast();
  const p = path.join(root, `other-${n++}.pth`);
  await writePth(p, new Map([['model.1.weight', HostTensor.of(new Float32Array(4), [4])]]));
  server.files.set(new URL(entries[0].url).pathname, makeZip([['saved_models/candy.pth', await readFile(p)]]));
  const hub = hubWith(entries);
  await hubError(hub.pull('candy'), 'invalid-file', /conv1\.conv2d\.weight \[32, 3, 9, 9\] expected, missing found/);
  assert.equal(existsSync(hub.cachePath(hub.lookup('candy'))), false);
});

test('without network, the message says which zip to fetch and where to put it', async () => {
  const hub = new Hub({ dir: path.join(home, 'models'), torchHubDir: null, mirror: null, registry: registryFast() });
  await hubError(hub.resolve('rain_princess'), 'not-cached', /saved_models\.zip.*saved_models\/rain_princess\.pth/);
});

test('ONNX entries: full sha256 and the declared input are checked', async () => {
  const bytes = await readFile(path.join(FAST_FIXTURES, 'tiny_w4_opset9_fixed.onnx'));
  const base = registryFast().find((e) => e.name === 'onnx-zoo/candy-9')!;
  const good: HubEntry = { ...base, sha256: sha(bytes), probe: { key: 'input1', shape: [1, 3, 24, 32] } };
  server.files.set(new URL(good.url).pathname, bytes);
  const r = await hubWith([good]).pull('candy-9');
  assert.deepEqual(await readFile(r.path), bytes);

  home = path.join(root, `home-${n++}`);
  await hubError(hubWith([{ ...good, sha256: 'a'.repeat(64) }]).pull('candy-9'), 'hash-mismatch', /registry/);
  home = path.join(root, `home-${n++}`);
  await hubError(hubWith([{ ...good, sha256: undefined, probe: { key: 'input1', shape: [1, 3, 224, 224] } }]).pull('candy-9'), 'invalid-file', /input1 \[1, 3, 224, 224\] expected, \[1, 3, 24, 32\] found/);
  home = path.join(root, `home-${n++}`);
  server.files.set(new URL(good.url).pathname, Buffer.from('<html>not a model</html>'));
  await hubError(hubWith([{ ...good, sha256: undefined }]).pull('candy-9'), 'invalid-file', /not a usable ONNX model/);
});
