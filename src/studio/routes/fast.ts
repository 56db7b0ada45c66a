/**
 * Fast styles: feed-forward style models (zoo, cached, uploaded .pth or .onnx) handed to the
 * browser as ONNX, where onnxruntime-web runs them (nothing leaves the machine). Uploaded
 * checkpoints go through the allow-list reader in the interactive worker.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { writeFileAtomic } from '../../images/index.js';
import { REGISTRY, defaultHub } from '../../weights/index.js';
import type { StudioContext } from '../server.js';
import { ClientError } from '../uploads.js';
import { oneFile } from './uploads.js';

export interface FastModelEntry {
  model: string;
  label: string;
  description: string;
  format: 'pth' | 'onnx';
  cached: boolean;
  source: 'zoo' | 'upload';
}

const ZIP = Buffer.from('PK\x03\x04', 'latin1');
const MODEL = { type: 'string', pattern: '^(upload:[0-9a-f]{64}|[a-z0-9_-]+(/[a-z0-9_-]+)?)$' } as const;

export function registerFastRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const { store, interactive } = ctx;
  const dir = store.fastDir;
  const exported = path.join(dir, 'onnx');

  const uploaded = async (): Promise<FastModelEntry[]> => {
    await mkdir(dir, { recursive: true });
    const out: FastModelEntry[] = [];
    for (const f of (await readdir(dir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort()) {
      try {
        out.push(JSON.parse(await readFile(path.join(dir, f), 'utf8')) as FastModelEntry);
      } catch {
        // half-written
      }
    }
    return out;
  };

  const fileOf = async (model: string): Promise<string> => {
    if (model.startsWith('upload:')) {
      const e = (await uploaded()).find((x) => x.model === model);
      if (!e) throw new ClientError(404, `no uploaded model ${model}`);
      return path.join(dir, `${model.slice(7)}.${e.format}`);
    }
    const e = REGISTRY.find((r) => (r.arch.kind === 'transformer_net' || r.arch.kind === 'onnx_image') && (r.name === model || r.aliases.includes(model)));
    if (!e) throw new ClientError(404, `no fast style model named '${model}' in the zoo`);
    return e.name;
  };

  app.get('/api/fast/models', async () => {
    const cached = new Map((await defaultHub().list()).map((m) => [m.name, m.cached]));
    const zoo: FastModelEntry[] = REGISTRY.filter((e) => e.arch.kind === 'transformer_net' || e.arch.kind === 'onnx_image').map((e) => ({
      model: e.name,
      label: e.name,
      description: e.description,
      format: e.format === 'onnx' ? 'onnx' : 'pth',
      cached: cached.get(e.name) ?? false,
      source: 'zoo',
    }));
    return [...(await uploaded()), ...zoo];
  });

  app.post('/api/fast/models', async (req, reply) => {
    const { bytes, name } = await oneFile(req, ctx.limits.maxModelBytes);
    const isPth = bytes.subarray(0, 4).equals(ZIP) || (bytes[0] === 0x80 && bytes[1] === 0x02);
    // ONNX is a protobuf ModelProto: field 1 (ir_version, varint) comes first in every exporter's output.
    const isOnnx = !isPth && bytes[0] === 0x08;
    if (!isPth && !isOnnx) throw new ClientError(415, 'not a PyTorch .pth checkpoint or an .onnx model');
    const format = isPth ? 'pth' : 'onnx';
    const id = createHash('sha256').update(bytes).digest('hex');
    await mkdir(dir, { recursive: true });
    const tmp = path.join(store.tmpDir, `${id}.${format}`);
    await writeFileAtomic(tmp, bytes);
    try {
      const info = await interactive.request({ type: 'fast-inspect', file: tmp }).catch((e: Error) => {
        throw new ClientError(422, `not a usable fast style model: ${e.message}`);
      });
      const label = path.basename(String(name || `model.${format}`)).replace(/[\x00-\x1f\x7f]/g, '').slice(0, 100);
      const entry: FastModelEntry = { model: `upload:${id}`, label, description: info.description, format, cached: true, source: 'upload' };
      await rename(tmp, path.join(dir, `${id}.${format}`));
      await writeFileAtomic(path.join(dir, `${id}.json`), Buffer.from(JSON.stringify(entry)));
      return reply.code(201).send(entry);
    } finally {
      await rm(tmp, { force: true });
    }
  });

  app.get<{ Querystring: { model: string; height: number; width: number } }>(
    '/api/fast/onnx',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['model', 'height', 'width'],
          properties: { model: MODEL, height: { type: 'integer', minimum: 16, maximum: 1024, multipleOf: 4 }, width: { type: 'integer', minimum: 16, maximum: 1024, multipleOf: 4 } },
        },
      },
    },
    async (req, reply) => {
      const { model, height, width } = req.query;
      const file = await fileOf(model);
      await mkdir(exported, { recursive: true });
      const key = createHash('sha256').update(`${model}|${height}x${width}`).digest('hex').slice(0, 32);
      const out = path.join(exported, `${key}.onnx`);
      const meta = `${out}.json`;
      if (!fs.existsSync(out) || !fs.existsSync(meta)) {
        const r = await interactive.request({ type: 'fast-onnx', model: file, height, width, out }).catch((e: Error) => {
          throw new ClientError(422, `cannot prepare ${model}: ${e.message}`);
        });
        await writeFileAtomic(meta, Buffer.from(JSON.stringify({ valueRange: r.valueRange })));
      }
      const { valueRange } = JSON.parse(await readFile(meta, 'utf8')) as { valueRange: number };
      return reply.type('application/octet-stream').header('x-value-range', String(valueRange)).send(fs.createReadStream(out));
    },
  );
}
