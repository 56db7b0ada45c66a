/**
 * The hub against a real HTTP server on 127.0.0.1 (AI_ART_HUB_MIRROR pointed at it):
 * download, resume after an interruption, 404, wrong hash, concurrent pulls in one
 * process and across processes, a stalled server, trust-on-first-use hashes, imports,
 * and the messages that tell a user without network what to do.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  HostTensor,
  Hub,
  HubError,
  REGISTRY,
  downloadUrl,
  formatProgress,
  modelsDir,
  torchHubCheckpointsDir,
  writePth,
  type DownloadProgress,
  type HubEntry,
} from '../../src/weights/index.js';
import { TestServer } from './helpers/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let server: TestServer;
let root: string;
let home: string;
let n = 0;

/** A real checkpoint of about `kb` KB whose first tensor has the probe's shape. */
async function checkpoint(key: string, shape: number[], kb: number, fill: number): Promise<Buffer> {
  const size = shape.reduce((a, b) => a * b, 1);
  const p = path.join(root, `ck-${n++}.pth`);
  const sd = new Map<string, HostTensor>([[key, HostTensor.of(new Float32Array(size).fill(fill), shape)]]);
  sd.set(
    'extra',
    HostTensor.of(
      Float32Array.from({ length: kb * 256 }, (_, i) => Math.sin(i + fill)),
      [kb * 256],
    ),
  );
  await writePth(p, sd);
  return readFile(p);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A torchvision-style entry: the hash prefix is in the file name. */
function entryFor(body: Buffer, name = 'tiny'): HubEntry {
  const prefix = sha(body).slice(0, 8);
  return {
    name,
    aliases: [],
    url: `https://weights.example.invalid/models/${name}-${prefix}.pth`,
    fileName: `${name}-${prefix}.pth`,
    cacheSubdir: 'test',
    sha256Prefix: prefix,
    approxBytes: body.length,
    arch: { kind: 'vgg19' },
    description: 'test weights',
    inTorchHub: true,
    probe: { key: 'features.0.weight', shape: [4, 3, 3, 3] },
  };
}

function hubWith(entries: HubEntry[], mirror: string | null = server.url): Hub {
  return new Hub({
    dir: path.join(home, 'models'),
    torchHubDir: path.join(home, 'torch', 'hub', 'checkpoints'),
    mirror,
    registry: entries,
  });
}

async function hubError(p: Promise<unknown>, code: string, re: RegExp): Promise<HubError> {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof HubError, `expected HubError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, re);
  return caught;
}

async function listCache(h: Hub): Promise<string[]> {
  try {
    return (await readdir(path.join(h.dir, 'test'))).sort();
  } catch {
    return [];
  }
}

let small: Buffer;
let big: Buffer;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ai-art-hub-'));
  server = await TestServer.start();
  small = await checkpoint('features.0.weight', [4, 3, 3, 3], 64, 1);
  big = await checkpoint('features.0.weight', [4, 3, 3, 3], 1024, 2);
});
after(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  home = path.join(root, `home-${n++}`);
  await mkdir(home, { recursive: true });
  server.requests.length = 0;
  server.next.length = 0;
});

function serve(e: HubEntry, body: Buffer): void {
  server.files.set(new URL(e.url).pathname, body);
}

test('pull: downloads through the mirror with progress, verifies, and is found afterwards', async () => {
  const e = entryFor(big);
  serve(e, big);
  const hub = hubWith([e]);
  const seen: DownloadProgress[] = [];
  const r = await hub.pull('tiny', { onProgress: (p) => seen.push(p) });
  assert.equal(r.downloaded, true);
  assert.equal(r.path, path.join(hub.dir, 'test', e.fileName));
  assert.deepEqual(await readFile(r.path), big);
  assert.equal(r.sha256, sha(big));
  assert.deepEqual(
    server.requests.map((q) => q.path),
    [`/models/${e.fileName}`],
  );
  // Progress: monotonic, ends complete, carries the total.
  assert.ok(seen.length >= 2);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].received >= seen[i - 1].received);
  const last = seen[seen.length - 1];
  assert.equal(last.done, true);
  assert.equal(last.received, big.length);
  assert.equal(last.total, big.length);
  assert.match(formatProgress(last), /\[#+\] 100%/);
  // Afterwards: resolved without the network, listed as cached with its real size.
  assert.equal(await hub.resolve('tiny'), r.path);
  const again = await hub.pull('tiny');
  assert.equal(again.downloaded, false);
  assert.equal(server.requests.length, 1);
  const [info] = await hub.list();
  assert.equal(info.cached, true);
  assert.equal(info.sizeBytes, big.length);
  assert.equal(info.location, 'ai-art');
  assert.deepEqual(await listCache(hub), [e.fileName]);
});

test('an interrupted download leaves only a .part file, and the next pull resumes it with a Range request', async () => {
  const e = entryFor(big);
  serve(e, big);
  const hub = hubWith([e]);
  server.next.push({ cut: 300_000 });
  await hubError(hub.pull('tiny'), 'interrupted', /interrupted after \d+ of \d+ bytes.*again to resume/);
  assert.deepEqual(await listCache(hub), [`${e.fileName}.part`, `${e.fileName}.part.json`]);
  await hubError(hub.resolve('tiny'), 'not-cached', /not downloaded/);
  const seen: DownloadProgress[] = [];
  const r = await hub.pull('tiny', { onProgress: (p) => seen.push(p) });
  assert.deepEqual(await readFile(r.path), big);
  const second = server.requests[1];
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(second.range ?? '')?.[1]);
  assert.ok(resumedAt >= 100_000 && resumedAt <= 300_000, `resumed at ${second.range}`);
  assert.ok(second.ifRange, 'If-Range guards the resume');
  assert.equal(seen[0].resumedFrom, resumedAt);
  assert.deepEqual(await listCache(hub), [e.fileName]);
});

test('a resume against a file that changed on the server starts over (If-Range) and still verifies', async () => {
  const e = entryFor(big);
  serve(e, small); // the server first has other bytes under this name...
  const hub = hubWith([e]);
  server.next.push({ cut: 50_000 });
  await hubError(hub.pull('tiny'), 'interrupted', /resume/);
  serve(e, big); // ...then the right file: the stale ETag makes the server send it whole
  const r = await hub.pull('tiny');
  assert.deepEqual(await readFile(r.path), big);
  assert.equal(server.requests.length, 2);
});

test('HTTP 404 is reported with the URL and leaves the cache clean', async () => {
  const e = entryFor(small);
  const hub = hubWith([e]);
  await hubError(
    hub.pull('tiny'),
    'http',
    /AI_ART_HUB_MIRROR\): HTTP 404 Not Found for http:\/\/127\.0\.0\.1:\d+\/models\/tiny-[0-9a-f]{8}\.pth/,
  );
  assert.deepEqual(await listCache(hub), []);
});

test('a file with the wrong hash is rejected and the cache is left clean', async () => {
  const e = entryFor(small);
  serve(e, big); // valid checkpoint, wrong bytes
  const hub = hubWith([e]);
  await hubError(hub.pull('tiny'), 'hash-mismatch', /expected [0-9a-f]{8}….*published file name.*discarded/);
  assert.deepEqual(await listCache(hub), []);
  // A user-pinned hash that does not match is refused the same way.
  serve(e, small);
  await hubError(hub.pull('tiny', { sha256: sha(big) }), 'hash-mismatch', /the hash you gave/);
  assert.deepEqual(await listCache(hub), []);
  const ok = await hub.pull('tiny', { sha256: sha(small).slice(0, 12) });
  assert.equal(ok.sha256, sha(small));
});

test('two concurrent pulls of the same file in one process download it once', async () => {
  const e = entryFor(big);
  serve(e, big);
  server.next.push({ delayMsPerChunk: 5 });
  const a = hubWith([e]);
  const b = hubWith([e]);
  const [ra, rb] = await Promise.all([a.pull('tiny'), b.pull('tiny')]);
  assert.equal(ra.path, rb.path);
  assert.equal(server.requests.length, 1);
  assert.deepEqual(await readFile(ra.path), big);
});

test('two processes pulling the same file: one downloads, the other waits on the lock and reuses it', async () => {
  const e = entryFor(big);
  serve(e, big);
  server.next.push({ delayMsPerChunk: 20 }, { delayMsPerChunk: 20 });
  const dir = path.join(home, 'models');
  const run = (): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve) => {
      const c = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(here, 'helpers', 'pull-child.ts'), dir, server.url, JSON.stringify(e)],
        {
          cwd: path.join(here, '..', '..'),
        },
      );
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.on('close', (code) => resolve({ code, out, err }));
    });
  const results = await Promise.all([run(), run()]);
  const parsed = results.map((r) => {
    assert.equal(r.code, 0, r.err + r.out);
    return JSON.parse(r.out.trim().split('\n').pop()!) as {
      path: string;
      downloaded: boolean;
      waited: boolean;
      sha256: string;
    };
  });
  assert.equal(parsed[0].path, parsed[1].path);
  assert.equal(parsed.filter((p) => p.downloaded).length, 1, JSON.stringify(parsed));
  assert.equal(server.requests.length, 1);
  assert.deepEqual(await readFile(parsed[0].path), big);
  const hub = hubWith([e]);
  assert.deepEqual(await listCache(hub), [e.fileName]);
});

test('a server that stalls times out with a clear message; the partial file resumes later', async () => {
  const e = entryFor(big);
  serve(e, big);
  const hub = hubWith([e]);
  server.next.push({ stall: 200_000 });
  const t0 = Date.now();
  await hubError(
    hub.pull('tiny', { timeoutMs: 300 }),
    'timeout',
    /no data from 127\.0\.0\.1:\d+ for 0\.3 s after \d+ bytes.*resumes/,
  );
  assert.ok(Date.now() - t0 < 5000);
  const r = await hub.pull('tiny');
  assert.deepEqual(await readFile(r.path), big);
  assert.match(server.requests[1].range ?? '', /^bytes=\d+-$/);
});

test('no network: the error names the file to place, where, and the mirror variable', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const e = entryFor(small);
  const hub = hubWith([e], `http://127.0.0.1:${port}/`);
  const err = await hubError(hub.pull('tiny'), 'network', /ECONNREFUSED/);
  assert.ok(err.message.includes(path.join(hub.dir, 'test', e.fileName)), err.message);
  assert.ok(err.message.includes(e.url));
  assert.match(err.message, /ai-art models import FILE --as tiny/);
  assert.match(err.message, /AI_ART_HUB_MIRROR=http:\/\/host:port\//);
  const nc = await hubError(hub.resolve('tiny'), 'not-cached', /ai-art models pull tiny/);
  assert.ok(nc.message.includes(path.join(hub.dir, 'test', e.fileName)));
  assert.match(nc.message, /AI_ART_HUB_MIRROR/);
  assert.deepEqual(await listCache(hub), []);
});

test("a file already in PyTorch's hub cache is used in place, after its hash is checked once", async () => {
  const e = entryFor(small);
  const hub = hubWith([e], null);
  const inTorch = path.join(home, 'torch', 'hub', 'checkpoints', e.fileName);
  await mkdir(path.dirname(inTorch), { recursive: true });
  await writeFile(inTorch, small);
  assert.equal(await hub.resolve('tiny'), inTorch);
  const [info] = await hub.list();
  assert.equal(info.location, 'torch-hub');
  assert.equal(server.requests.length, 0);
  // A damaged copy there is refused, not used.
  await writeFile(inTorch, big);
  await hubError(hub.resolve('tiny'), 'hash-mismatch', /Delete the file/);
});

test('CycleGAN zoo (no published hashes): trusted on first use, then a changed file is refused', async () => {
  const genuine = await checkpoint('model.1.weight', [64, 3, 7, 7], 16, 3);
  const changed = await checkpoint('model.1.weight', [64, 3, 7, 7], 16, 4);
  server.files.set('/cyclegan/pretrained_models/horse2zebra.pth', genuine);
  const hub = new Hub({
    env: { AI_ART_HOME: home, AI_ART_HUB_MIRROR: server.url, TORCH_HOME: path.join(home, 'torch') },
  });
  assert.equal(hub.dir, path.join(home, 'models'));
  const r = await hub.pull('horse2zebra');
  assert.equal(r.name, 'cyclegan/horse2zebra');
  assert.equal(r.path, path.join(home, 'models', 'cyclegan', 'horse2zebra.pth'));
  assert.equal(server.requests[0].path, '/cyclegan/pretrained_models/horse2zebra.pth');
  const state = JSON.parse(await readFile(path.join(home, 'models', 'state.json'), 'utf8')) as {
    pins: Record<string, string>;
  };
  assert.equal(state.pins['cyclegan/horse2zebra'], sha(genuine));
  await rm(r.path);
  server.files.set('/cyclegan/pretrained_models/horse2zebra.pth', changed);
  await hubError(hub.pull('horse2zebra'), 'hash-mismatch', /recorded when this model was first downloaded/);
  assert.equal(existsSync(r.path), false);
  assert.deepEqual(await readdir(path.dirname(r.path)), []);
  // Forgetting the recorded hash accepts the new file (and records it).
  await hub.forget('horse2zebra');
  const again = await hub.pull('cyclegan/horse2zebra');
  assert.equal(again.sha256, sha(changed));
});

test('a download that is not the expected network (or not a checkpoint at all) is rejected', async () => {
  server.files.set(
    '/pix2pix/models-pytorch/edges2shoes.pth',
    await checkpoint('model.1.weight', [64, 3, 7, 7], 4, 1),
  );
  server.files.set('/pix2pix/models-pytorch/day2night.pth', Buffer.from('<html>moved</html>'));
  const hub = new Hub({ dir: path.join(home, 'models'), torchHubDir: null, mirror: server.url });
  await hubError(
    hub.pull('edges2shoes'),
    'invalid-file',
    /model\.model\.0\.weight \[64, 3, 4, 4\] expected, missing found/,
  );
  await hubError(
    hub.pull('pix2pix/day2night'),
    'invalid-file',
    /not a usable checkpoint.*not a PyTorch checkpoint/,
  );
  assert.deepEqual(await readdir(path.join(home, 'models', 'pix2pix')), []);
});

test('import: official layout names, ambiguous names, own names, wrong files', async () => {
  const hub = new Hub({ dir: path.join(home, 'models'), torchHubDir: null, mirror: null });
  const official = path.join(home, 'checkpoints', 'horse2zebra_pretrained', 'latest_net_G.pth');
  await mkdir(path.dirname(official), { recursive: true });
  await writeFile(official, await checkpoint('model.1.weight', [64, 3, 7, 7], 4, 5));
  const got = await hub.importFile(official);
  assert.deepEqual(got, {
    name: 'cyclegan/horse2zebra',
    path: path.join(hub.dir, 'cyclegan', 'horse2zebra.pth'),
  });
  assert.equal(await hub.resolve('horse2zebra'), got.path);

  const sat = path.join(home, 'sat2map.pth');
  await writeFile(sat, small);
  await hubError(hub.importFile(sat), 'unknown-model', /cyclegan\/sat2map or pix2pix\/sat2map/);

  const mine = await hub.importFile(sat, { as: 'my_style' });
  assert.deepEqual(mine, { name: 'local/my_style', path: path.join(hub.dir, 'local', 'my_style.pth') });
  assert.equal(await hub.resolve('my_style'), mine.path);
  const listed = (await hub.list()).find((m) => m.name === 'local/my_style');
  assert.equal(listed?.cached, true);
  assert.equal(listed?.source, 'imported');

  const notVgg = path.join(home, 'vgg19-dcbb9e9d.pth');
  await writeFile(notVgg, small);
  await hubError(hub.importFile(notVgg), 'hash-mismatch', /vgg19-dcbb9e9d\.pth/);
  const html = path.join(home, 'page.pth');
  await writeFile(html, '<html></html>');
  await hubError(hub.importFile(html, { as: 'style_monet' }), 'invalid-file', /not a PyTorch checkpoint/);
  await hubError(hub.importFile(sat, { as: '../evil' }), 'unknown-model', /not a valid model name/);
  assert.equal(existsSync(path.join(hub.dir, 'torchvision', 'vgg19-dcbb9e9d.pth')), false);
});

test('names: aliases, zoo prefixes, suggestions for unknown ones', async () => {
  const hub = new Hub({ dir: path.join(home, 'models'), torchHubDir: null, mirror: null });
  assert.equal(hub.lookup('vgg19').fileName, 'vgg19-dcbb9e9d.pth');
  assert.equal(hub.lookup('style_vangogh').name, 'cyclegan/style_vangogh');
  assert.equal(hub.lookup('edges2shoes').name, 'pix2pix/edges2shoes');
  assert.equal(hub.lookup('pix2pix/facades_label2photo').arch.kind, 'pix2pix');
  assert.throws(() => hub.lookup('map2sat'), /cyclegan\/map2sat or pix2pix\/map2sat/);
  assert.throws(() => hub.lookup('horse2zebr'), /did you mean cyclegan\/horse2zebra/);
  await hubError(hub.resolve('nothing_like_it'), 'unknown-model', /unknown model/);
});

test('registry: torchvision VGG-19 and both official zoos with the architectures they need', () => {
  const cyc = REGISTRY.filter((e) => e.arch.kind === 'cyclegan');
  const p2p = REGISTRY.filter((e) => e.arch.kind === 'pix2pix');
  assert.equal(cyc.length, 18);
  assert.equal(p2p.length, 5);
  for (const e of cyc) {
    assert.equal(e.url, `http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/${e.fileName}`);
    assert.deepEqual(e.arch, {
      kind: 'cyclegan',
      netG: 'resnet_9blocks',
      ngf: 64,
      norm: 'instance',
      dropout: false,
      inputNc: 3,
      outputNc: 3,
    });
  }
  for (const e of p2p) {
    assert.equal(e.url, `http://efrosgans.eecs.berkeley.edu/pix2pix/models-pytorch/${e.fileName}`);
    assert.deepEqual(e.arch, {
      kind: 'pix2pix',
      netG: 'unet_256',
      ngf: 64,
      norm: 'batch',
      dropout: true,
      inputNc: 3,
      outputNc: 3,
    });
  }
  const names = REGISTRY.flatMap((e) => [e.name, ...e.aliases]);
  assert.equal(new Set(names).size, names.length, 'names and aliases are unique');
  const vgg = REGISTRY.find((e) => e.name === 'vgg19')!;
  assert.equal(vgg.url, 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth');
  assert.equal(vgg.sha256Prefix, 'dcbb9e9d');
});

test('paths: AI_ART_HOME, platform cache folders, TORCH_HOME, mirror URL mapping', () => {
  assert.equal(modelsDir({ AI_ART_HOME: '/x' }), path.join('/x', 'models'));
  assert.equal(modelsDir({ HOME: '/h' }, 'linux'), path.join('/h', '.cache', 'ai-art', 'models'));
  assert.equal(modelsDir({ HOME: '/h', XDG_CACHE_HOME: '/c' }, 'linux'), path.join('/c', 'ai-art', 'models'));
  assert.equal(modelsDir({ HOME: '/h' }, 'darwin'), path.join('/h', 'Library', 'Caches', 'ai-art', 'models'));
  assert.equal(
    torchHubCheckpointsDir({ HOME: '/h' }),
    path.join('/h', '.cache', 'torch', 'hub', 'checkpoints'),
  );
  assert.equal(torchHubCheckpointsDir({ TORCH_HOME: '/t' }), path.join('/t', 'hub', 'checkpoints'));
  assert.equal(
    downloadUrl('https://a.example/models/v.pth', 'http://127.0.0.1:8080/'),
    'http://127.0.0.1:8080/models/v.pth',
  );
  assert.equal(
    downloadUrl('http://b.example/cyclegan/x/y.pth', 'http://m:1/mirror'),
    'http://m:1/mirror/cyclegan/x/y.pth',
  );
  assert.equal(downloadUrl('http://b.example/y.pth', undefined), 'http://b.example/y.pth');
  assert.throws(() => new Hub({ mirror: 'not a url', dir: '/tmp/x' }), /AI_ART_HUB_MIRROR/);
});

test('formatProgress draws bytes, rate and ETA', () => {
  const line = formatProgress({
    url: 'u',
    received: 250_000_000,
    total: 574_673_361,
    resumedFrom: 0,
    bytesPerSecond: 12_500_000,
    etaSeconds: 26,
    done: false,
  });
  assert.equal(line, '[##########..............]  43%  250 MB / 575 MB  12.5 MB/s  ETA 26s');
  assert.equal(
    formatProgress({
      url: 'u',
      received: 1500,
      total: null,
      resumedFrom: 0,
      bytesPerSecond: 0,
      etaSeconds: null,
      done: false,
    }),
    '1.50 kB  0 B/s',
  );
});
