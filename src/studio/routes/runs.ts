/**
 * The training dashboard's data: runs are the folders under the configured roots that hold a
 * loss_log.jsonl (cyclegan/pix2pix train: [checkpoints_dir]/[name]) or checkpoints/loss.jsonl
 * (fast train: its --save-model-dir). Both logs are read into one shape. Nothing outside those
 * roots is read, and names are single path components.
 */
import fs from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inside } from '../paths.js';
import type { StudioContext } from '../server.js';
import { ClientError } from '../uploads.js';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } as const;
const RUN_PARAMS = { type: 'object', required: ['root', 'name'], properties: { root: { type: 'integer', minimum: 0, maximum: 99 }, name: NAME } } as const;

/** One logged point, whichever trainer wrote it. */
export interface RunPoint {
  /** Epochs done, fractional (0 at the start of the first). */
  x: number;
  epoch: number;
  losses: Record<string, number>;
  /** Seconds per image (GAN logs). */
  secondsPerImage?: number;
}

export interface RunSummary {
  root: number;
  name: string;
  kind: 'gan' | 'fast';
  folder: string;
  entries: number;
  last: RunPoint | null;
  updated: number;
}

const GAN_META = new Set(['epoch', 'iters', 'total_iters', 'progress', 't_comp', 't_data', 'lr', 'time']);

function point(o: Record<string, unknown>, kind: 'gan' | 'fast', i: number): RunPoint {
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
  if (kind === 'fast') {
    const epoch = num(o.epoch);
    return { x: epoch - 1 + num(o.count) / Math.max(1, num(o.dataset)), epoch, losses: { content: num(o.content), style: num(o.style), total: num(o.total) } };
  }
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (!GAN_META.has(k)) losses[k] = num(v);
  const epoch = num(o.epoch);
  return { x: o.progress !== undefined ? num(o.progress) - 1 : i, epoch, losses, secondsPerImage: num(o.t_comp) + num(o.t_data) };
}

/** Where a run folder keeps its log, and whose format it is. */
function logOf(dir: string): { file: string; kind: 'gan' | 'fast' } | null {
  const gan = path.join(dir, 'loss_log.jsonl');
  if (fs.existsSync(gan)) return { file: gan, kind: 'gan' };
  const fast = path.join(dir, 'checkpoints', 'loss.jsonl');
  if (fs.existsSync(fast)) return { file: fast, kind: 'fast' };
  return null;
}

async function readLog(file: string, kind: 'gan' | 'fast'): Promise<RunPoint[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: RunPoint[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(point(JSON.parse(line) as Record<string, unknown>, kind, out.length));
    } catch {
      // a line being written
    }
  }
  return out;
}

export function registerRunRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const runDir = (root: number, name: string): { dir: string; file: string; kind: 'gan' | 'fast' } => {
    const r = ctx.runRoots[root];
    if (r === undefined) throw new ClientError(404, `no run root ${root}`);
    const dir = inside(r, name);
    const log = logOf(dir);
    if (!log) throw new ClientError(404, `no run '${name}'`);
    return { dir, ...log };
  };

  app.get('/api/runs', async () => {
    const out: RunSummary[] = [];
    for (const [i, root] of ctx.runRoots.entries()) {
      const names = await readdir(root).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (!/^[A-Za-z0-9._-]{1,128}$/.test(name)) continue;
        const log = logOf(path.join(root, name));
        if (!log) continue;
        const entries = await readLog(log.file, log.kind);
        out.push({ root: i, name, kind: log.kind, folder: path.join(root, name), entries: entries.length, last: entries.at(-1) ?? null, updated: (await stat(log.file)).mtimeMs });
      }
    }
    return out;
  });

  app.get<{ Params: { root: number; name: string } }>('/api/runs/:root/:name', { schema: { params: RUN_PARAMS } }, async (req) => {
    const { dir, file, kind } = runDir(req.params.root, req.params.name);
    const entries = await readLog(file, kind);
    const imgDir = path.join(dir, 'web', 'images');
    const images = (await readdir(imgDir).catch(() => [] as string[])).filter((f) => /^[A-Za-z0-9._-]+\.png$/.test(f));
    const withTime = await Promise.all(images.map(async (f) => ({ f, t: (await stat(path.join(imgDir, f))).mtimeMs })));
    withTime.sort((a, b) => b.t - a.t || (a.f < b.f ? -1 : 1));
    let opt: Record<string, unknown> | null = null;
    try {
      opt = JSON.parse(await readFile(path.join(dir, 'train_opt.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      // older runs have only train_opt.txt
    }
    return { name: req.params.name, kind, entries, images: withTime.slice(0, 24).map((x) => x.f), options: opt };
  });

  app.get<{ Params: { root: number; name: string; file: string } }>(
    '/api/runs/:root/:name/images/:file',
    { schema: { params: { ...RUN_PARAMS, required: ['root', 'name', 'file'], properties: { ...RUN_PARAMS.properties, file: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}\\.png$' } } } } },
    async (req, reply) => {
      const { dir } = runDir(req.params.root, req.params.name);
      const file = inside(path.join(dir, 'web', 'images'), req.params.file);
      if (!fs.existsSync(file)) throw new ClientError(404, `no image ${req.params.file}`);
      return reply.type('image/png').header('cache-control', 'no-cache').send(fs.createReadStream(file));
    },
  );
}
