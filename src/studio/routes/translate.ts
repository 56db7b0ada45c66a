/** Translation models (zoo, cached, uploaded .pth) and translating one image (the drawing canvas). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { writeFileAtomic } from '../../images/index.js';
import { REGISTRY, defaultHub, type GeneratorArch } from '../../weights/index.js';
import type { StudioContext } from '../server.js';
import { ClientError, checkImage } from '../uploads.js';
import { oneFile } from './uploads.js';

export interface ModelEntry {
  /** What POST /api/translate takes as `model`. */
  model: string;
  label: string;
  kind: 'cyclegan' | 'pix2pix';
  netG: string;
  inputNc: number;
  cached: boolean;
  source: 'zoo' | 'upload';
}

const ZIP = Buffer.from('PK\x03\x04', 'latin1');

/** The zoo's generators by every accepted name. */
function zooEntry(name: string) {
  return REGISTRY.find((e) => e.arch.kind !== 'vgg19' && (e.name === name || e.aliases.includes(name)));
}

export function registerTranslateRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const { store, interactive } = ctx;

  const uploadedModels = async (): Promise<ModelEntry[]> => {
    const out: ModelEntry[] = [];
    for (const f of (await readdir(store.modelsDir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort()) {
      try {
        out.push(JSON.parse(await readFile(path.join(store.modelsDir, f), 'utf8')) as ModelEntry);
      } catch {
        // a half-written entry
      }
    }
    return out;
  };

  app.get('/api/models', async () => {
    const cached = new Map((await defaultHub().list()).map((m) => [m.name, m.cached]));
    const zoo: ModelEntry[] = REGISTRY.filter((e) => e.arch.kind !== 'vgg19').map((e) => {
      const a = e.arch as GeneratorArch;
      return { model: e.name, label: e.name, kind: a.kind, netG: a.netG, inputNc: a.inputNc, cached: cached.get(e.name) ?? false, source: 'zoo' };
    });
    return [...(await uploadedModels()), ...zoo];
  });

  app.post('/api/models', async (req, reply) => {
    const { bytes, name } = await oneFile(req, ctx.limits.maxModelBytes);
    // A PyTorch checkpoint is a zip (torch.save since 1.6) or a legacy pickle stream (protocol 2).
    if (!(bytes.subarray(0, 4).equals(ZIP) || (bytes[0] === 0x80 && bytes[1] === 0x02)))
      throw new ClientError(415, 'not a PyTorch .pth checkpoint');
    const id = createHash('sha256').update(bytes).digest('hex');
    const tmp = path.join(store.tmpDir, `${id}.pth`);
    await writeFileAtomic(tmp, bytes);
    try {
      // The allow-list reader runs in the worker: nothing in the file is executed, and a
      // large or hostile file cannot stall the server.
      const info = await interactive.request({ type: 'inspect', file: tmp }).catch((e: Error) => {
        throw new ClientError(422, `not a usable generator checkpoint: ${e.message}`);
      });
      const label = path.basename(String(name || 'model.pth')).replace(/[\x00-\x1f\x7f]/g, '').slice(0, 100);
      const entry: ModelEntry = { model: `upload:${id}`, label, kind: info.kind, netG: info.netG, inputNc: info.inputNc, cached: true, source: 'upload' };
      await rename(tmp, path.join(store.modelsDir, `${id}.pth`));
      await writeFileAtomic(path.join(store.modelsDir, `${id}.json`), Buffer.from(JSON.stringify(entry)));
      return reply.code(201).send(entry);
    } finally {
      await rm(tmp, { force: true });
    }
  });

  for (const type of ['image/png', 'image/jpeg', 'image/webp']) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: ctx.limits.maxUploadBytes }, (_req, body, done) => done(null, body));
  }

  app.post<{ Querystring: { model: string; eval?: boolean; seed?: number; maxSide?: number } }>(
    '/api/translate',
    {
      bodyLimit: ctx.limits.maxUploadBytes,
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['model'],
          properties: {
            model: { type: 'string', pattern: '^(upload:[0-9a-f]{64}|[a-z0-9_]+(/[a-z0-9_]+)?)$' },
            eval: { type: 'boolean' },
            seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
            maxSide: { type: 'integer', minimum: 16, maximum: 1024 },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body;
      if (!Buffer.isBuffer(body)) throw new ClientError(415, 'send the image as the request body (image/png, image/jpeg or image/webp)');
      await checkImage(body, ctx.limits);
      const m = req.query.model;
      let file: string;
      if (m.startsWith('upload:')) {
        file = path.join(store.modelsDir, `${m.slice(7)}.pth`);
        if (!fs.existsSync(file)) throw new ClientError(404, `no uploaded model ${m}`);
      } else {
        const e = zooEntry(m);
        if (!e) throw new ClientError(404, `no model named '${m}' in the zoo`);
        file = e.name;
      }
      const r = await interactive
        .request({ type: 'translate', model: file, modelLabel: m, image: body, eval: req.query.eval, seed: req.query.seed, maxSide: req.query.maxSide ?? 512 })
        .catch((e: Error) => {
          throw new ClientError(422, `translation failed: ${e.message}`);
        });
      return reply
        .type('image/png')
        .header('x-net-g', r.netG)
        .header('x-milliseconds', r.ms.toFixed(0))
        .send(Buffer.from(r.png));
    },
  );
}
