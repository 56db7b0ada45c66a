/** Translation through the API: an uploaded tiny pix2pix .pth (allow-list reader) translates a drawing. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { readOptionsStamp } from '../../src/images/index.js';
import { picture, startStudio, tempHome, tinyPix2pix, upload } from './helpers.js';

const home = tempHome('studio-translate');
after(() => home.remove());

test('an uploaded pix2pix checkpoint is listed and translates images of any size (padded)', async () => {
  const studio = await startStudio(home.dir);
  try {
    const file = path.join(home.dir, 'tiny_net_G.pth');
    await tinyPix2pix(file);
    const r = await upload(studio.url, readFileSync(file), 'tiny_net_G.pth', '/api/models');
    assert.equal(r.status, 201);
    const m = (await r.json()) as { model: string; netG: string; kind: string };
    assert.equal(m.netG, 'unet_32');
    assert.equal(m.kind, 'pix2pix');
    const list = (await (await fetch(`${studio.url}/api/models`)).json()) as { model: string }[];
    assert.ok(list.some((x) => x.model === m.model));
    assert.ok(list.some((x) => x.model === 'cyclegan/horse2zebra'));
    const outs: Buffer[] = [];
    for (const [w, h] of [[64, 64], [50, 40]]) {
      const res = await fetch(`${studio.url}/api/translate?model=${m.model}&eval=true`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(await picture(w, h)),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get('x-net-g'), 'unet_32');
      const png = Buffer.from(await res.arrayBuffer());
      const meta = await sharp(png).metadata();
      assert.deepEqual([meta.width, meta.height], [w, h]);
      assert.equal(readOptionsStamp(png)?.command, 'translate');
      outs.push(png);
    }
    // Random weights still give a picture that depends on the input.
    const st = await sharp(outs[0]).stats();
    assert.ok(st.channels.some((c) => c.stdev > 0.5));
  } finally {
    await studio.close();
  }
});
