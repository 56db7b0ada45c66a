/**
 * The training dashboard's data: runs are the folders under the configured roots that hold a
 * loss_log.jsonl (cyclegan/pix2pix/fast train write one per experiment). Nothing outside
 * those roots is read, and names are single path components.
 */
import fs from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { LogEntry } from '../../gan/report/log.js';
import { inside } from '../paths.js';
import type { StudioContext } from '../server.js';
import { ClientError } from '../uploads.js';

const NAME = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } as const;
const RUN_PARAMS = { type: 'object', required: ['root', 'name'], properties: { root: { type: 'integer', minimum: 0, maximum: 99 }, name: NAME } } as const;

export interface RunSummary {
  root: number;
  name: string;
  folder: string;
  entries: number;
  last: LogEntry | null;
  updated: number;
}

async function readLog(file: string): Promise<LogEntry[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      // a line being written
    }
  }
  return out;
}

export function registerRunRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const runDir = (root: number, name: string): string => {
    const r = ctx.runRoots[root];
    if (r === undefined) throw new ClientError(404, `no run root ${root}`);
    const dir = inside(r, name);
    if (!fs.existsSync(path.join(dir, 'loss_log.jsonl'))) throw new ClientError(404, `no run '${name}'`);
    return dir;
  };

  app.get('/api/runs', async () => {
    const out: RunSummary[] = [];
    for (const [i, root] of ctx.runRoots.entries()) {
      const names = await readdir(root).catch(() => [] as string[]);
      for (const name of names.sort()) {
        const log = path.join(root, name, 'loss_log.jsonl');
        if (!/^[A-Za-z0-9._-]{1,128}$/.test(name) || !fs.existsSync(log)) continue;
        const entries = await readLog(log);
        out.push({ root: i, name, folder: path.join(root, name), entries: entries.length, last: entries.at(-1) ?? null, updated: (await stat(log)).mtimeMs });
      }
    }
    return out;
  });

  app.get<{ Params: { root: number; name: string } }>('/api/runs/:root/:name', { schema: { params: RUN_PARAMS } }, async (req) => {
    const dir = runDir(req.params.root, req.params.name);
    const entries = await readLog(path.join(dir, 'loss_log.jsonl'));
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
    return { name: req.params.name, entries, images: withTime.slice(0, 24).map((x) => x.f), options: opt };
  });

  app.get<{ Params: { root: number; name: string; file: string } }>(
    '/api/runs/:root/:name/images/:file',
    { schema: { params: { ...RUN_PARAMS, required: ['root', 'name', 'file'], properties: { ...RUN_PARAMS.properties, file: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}\\.png$' } } } } },
    async (req, reply) => {
      const dir = runDir(req.params.root, req.params.name);
      const file = inside(path.join(dir, 'web', 'images'), req.params.file);
      if (!fs.existsSync(file)) throw new ClientError(404, `no image ${req.params.file}`);
      return reply.type('image/png').header('cache-control', 'no-cache').send(fs.createReadStream(file));
    },
  );
}
