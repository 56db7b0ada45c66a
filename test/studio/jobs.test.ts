/**
 * Jobs through the API: a tiny style transfer runs to completion in its worker while two
 * clients watch, Stop keeps the last frame, a restart keeps the queue and the gallery, and
 * an explore result is reused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readOptionsStamp } from '../../src/images/index.js';
import type { JobRecord } from '../../src/studio/types.js';
import { isFinished, picture, postJson, startStudio, tempHome, upload, watch, type SseEvent } from './helpers.js';

const home = tempHome('studio-jobs');
after(() => home.remove());

const TINY = { size: 32, iterations: 6, weights: 'random', saveEvery: 1, seed: 3 };

async function uploads(url: string): Promise<{ content: string; style: string; style2: string }> {
  const id = async (b: Buffer, n: string) => ((await (await upload(url, b, n)).json()) as { id: string }).id;
  return {
    content: await id(await picture(40, 30, 0), 'content.png'),
    style: await id(await picture(32, 32, 1), 'style one.png'),
    style2: await id(await picture(24, 36, 2, 'jpeg'), 'style2.jpg'),
  };
}

const finished = (e: SseEvent) => e.event === 'job' && isFinished((e.data as JobRecord).status);

test('a tiny style job runs to completion while two clients watch it; its PNG carries the options', async () => {
  const studio = await startStudio(home.dir);
  try {
    const u = await uploads(studio.url);
    const r = await postJson(`${studio.url}/api/jobs`, {
      kind: 'style',
      content: u.content,
      styles: [{ id: u.style, weight: 2 }, { id: u.style2, weight: 1 }],
      options: TINY,
    });
    assert.equal(r.status, 201);
    const job = (await r.json()) as JobRecord;
    assert.ok(['queued', 'running'].includes(job.status));
    const ev = `${studio.url}/api/jobs/${job.id}/events`;
    const [a, b] = await Promise.all([watch(ev, finished), watch(ev, finished)]);
    for (const events of [a, b]) {
      const last = events.at(-1)!.data as JobRecord;
      assert.equal(last.status, 'done', JSON.stringify(last.error));
      const frames = events.filter((e) => e.event === 'frame').map((e) => (e.data as { evaluation: number }).evaluation);
      const progress = events.filter((e) => e.event === 'progress');
      assert.ok(frames.length >= 3, `frames ${frames}`);
      assert.ok(progress.length >= 3);
      assert.ok(frames.every((f, i) => i === 0 || f > frames[i - 1]), 'frames in order');
      const p = (progress.at(-1)!.data as { progress: { evaluations: number; etaSeconds: number; evaluationsPerSecond: number } }).progress;
      assert.equal(p.evaluations, 6);
      assert.ok(p.evaluationsPerSecond > 0);
    }
    const done = (await (await fetch(`${studio.url}/api/jobs/${job.id}`)).json()) as JobRecord;
    assert.equal(done.costs.length, done.report?.evaluations);
    assert.ok(done.costs.at(-1)![1] < done.costs[0][1], 'the cost fell');
    const png = Buffer.from(await (await fetch(`${studio.url}/api/jobs/${job.id}/files/result.png`)).arrayBuffer());
    const meta = await sharp(png).metadata();
    assert.equal(Math.max(meta.width!, meta.height!), 32);
    const stamp = readOptionsStamp(png);
    assert.equal(stamp?.command, 'style');
    assert.deepEqual(stamp?.options, { ...TINY, styleBlendWeights: [2, 1] });
    assert.deepEqual(stamp?.inputs, { content: 'content.png', styles: ['style one.png', 'style2.jpg'] });
    // Dropping the result on the studio gives its options back.
    const back = (await (await upload(studio.url, png, 'result.png')).json()) as { stamp: unknown };
    assert.deepEqual(back.stamp, stamp);
    const cmd = ((await (await fetch(`${studio.url}/api/jobs/${job.id}/command`)).json()) as { command: string }).command;
    assert.equal(
      cmd,
      "ai-art style content.png 'style one.png' style2.jpg -o out.png --size 32 --iterations 6 --weights random --save-every 1 --seed 3 --style-blend-weights 2,1",
    );
  } finally {
    await studio.close();
  }
});

test('stop keeps the last frame; a restart keeps the queue (running work starts again) and the gallery', async () => {
  let studio = await startStudio(home.dir);
  const u = await uploads(studio.url);
  const long = { ...TINY, iterations: 3000 };
  const j1 = (await (await postJson(`${studio.url}/api/jobs`, { kind: 'style', content: u.content, styles: [{ id: u.style }], options: long })).json()) as JobRecord;
  const j2 = (await (await postJson(`${studio.url}/api/jobs`, { kind: 'style', content: u.content, styles: [{ id: u.style2 }], options: long })).json()) as JobRecord;
  // Wait for a few frames of the first, then stop the server under it.
  await watch(`${studio.url}/api/jobs/${j1.id}/events`, (_e, all) => all.filter((x) => x.event === 'frame').length >= 2);
  const before = (await (await fetch(`${studio.url}/api/jobs`)).json()) as JobRecord[];
  assert.deepEqual(
    before.filter((j) => j.id === j1.id || j.id === j2.id).map((j) => j.status),
    ['queued', 'running'],
  );
  await studio.close();

  studio = await startStudio(home.dir);
  try {
    const list = (await (await fetch(`${studio.url}/api/jobs`)).json()) as JobRecord[];
    const byId = new Map(list.map((j) => [j.id, j]));
    assert.ok(['queued', 'running'].includes(byId.get(j1.id)!.status), 'the interrupted job runs again');
    assert.equal(byId.get(j2.id)!.status, 'queued');
    const gallery = list.filter((j) => j.status === 'done' && j.result);
    assert.ok(gallery.length >= 1, 'the finished job from the first test is still in the gallery');
    assert.equal((await fetch(`${studio.url}/api/jobs/${gallery[0].id}/files/result.png`)).status, 200);

    // Cancel the queued one at once; stop the running one and keep its last frame.
    const c2 = (await (await fetch(`${studio.url}/api/jobs/${j2.id}/cancel`, { method: 'POST' })).json()) as JobRecord;
    assert.equal(c2.status, 'cancelled');
    await watch(`${studio.url}/api/jobs/${j1.id}/events`, (e) => e.event === 'frame');
    await fetch(`${studio.url}/api/jobs/${j1.id}/cancel`, { method: 'POST' });
    const end = await watch(`${studio.url}/api/jobs/${j1.id}/events`, finished);
    const stopped = end.at(-1)!.data as JobRecord;
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.result, true);
    assert.ok((stopped.report?.evaluations as number) < 3000);
    const png = Buffer.from(await (await fetch(`${studio.url}/api/jobs/${j1.id}/files/result.png`)).arrayBuffer());
    assert.equal(readOptionsStamp(png)?.options.iterations, 3000);
    // A finished job can leave the history; a running one cannot.
    assert.equal((await fetch(`${studio.url}/api/jobs/${j2.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(`${studio.url}/api/jobs/${j2.id}`)).status, 404);
  } finally {
    await studio.close();
  }
});

test('explore: a layer experiment runs once, then its result is reused', async () => {
  const studio = await startStudio(home.dir);
  try {
    const u = await uploads(studio.url);
    const body = { kind: 'explore', explore: { experiment: 'strokes', layer: 'conv2_1', image: u.style, size: 32, iterations: 4, weights: 'random' } };
    const r1 = await postJson(`${studio.url}/api/jobs`, body);
    assert.equal(r1.status, 201);
    const j = (await r1.json()) as JobRecord;
    const end = await watch(`${studio.url}/api/jobs/${j.id}/events`, finished);
    assert.equal((end.at(-1)!.data as JobRecord).status, 'done');
    const r2 = await postJson(`${studio.url}/api/jobs`, body);
    assert.equal(r2.status, 200);
    const again = (await r2.json()) as JobRecord & { cached: boolean };
    assert.equal(again.id, j.id);
    assert.equal(again.cached, true);
  } finally {
    await studio.close();
  }
});
