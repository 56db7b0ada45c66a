/**
 * The training dashboard's API: runs under the configured roots (runs.ts), one run's points,
 * options and samples, and Stop / Resume for runs the studio trains. Nothing outside those
 * roots is read, and names are single path components validated before any file is touched.
 */
import fs from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inside } from '../paths.js';
import { FOLDER_NAME } from '../schemas.js';
import type { StudioContext } from '../server.js';
import { ClientError } from '../uploads.js';
import {
  imagesDir,
  logOf,
  runNames,
  runOptions,
  summarize,
  type RunInfo,
  type RunKind,
  type RunSummary,
} from '../runs.js';
import type { JobRecord } from '../types.js';

const RUN_PARAMS = {
  type: 'object',
  required: ['root', 'name'],
  properties: { root: { type: 'integer', minimum: 0, maximum: 99 }, name: FOLDER_NAME },
} as const;

/** The studio job that trains the run `name` in the studio's runs folder: the latest one. */
export function jobOfRun(ctx: StudioContext, name: string): JobRecord | undefined {
  return ctx.queue
    .list()
    .find((j) => j.request.train?.name === name && j.kind !== 'style' && j.kind !== 'explore');
}

export function registerRunRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const studioRoot = ctx.runRoots.indexOf(ctx.store.runsDir);
  const jobAt = (root: number, name: string) => (root === studioRoot ? jobOfRun(ctx, name) : undefined);

  /** A run folder, or null: one with a log, or one a studio job is about to train. */
  const find = (root: number, name: string): RunInfo | null => {
    const r = ctx.runRoots[root];
    if (r === undefined) return null;
    const dir = inside(r, name);
    const log = logOf(dir);
    if (log) return { dir, kind: log.kind, log: log.file };
    const job = jobAt(root, name);
    if (job) return { dir, kind: job.kind === 'fast-train' ? 'fast' : 'gan', log: null };
    return null;
  };
  const need = (root: number, name: string): RunInfo => {
    if (ctx.runRoots[root] === undefined) throw new ClientError(404, `no run root ${root}`);
    const run = find(root, name);
    if (!run) throw new ClientError(404, `no run '${name}'`);
    return run;
  };

  app.get('/api/runs', async () => {
    const out: RunSummary[] = [];
    for (const [i, root] of ctx.runRoots.entries()) {
      const names = new Set(await runNames(root));
      if (i === studioRoot)
        for (const j of ctx.queue.list()) if (j.request.train?.name) names.add(j.request.train.name);
      for (const name of [...names].sort()) {
        const run = find(i, name);
        if (run) out.push((await summarize(i, name, run, jobAt(i, name))).summary);
      }
    }
    return out;
  });

  app.get<{ Params: { root: number; name: string } }>(
    '/api/runs/:root/:name',
    { schema: { params: RUN_PARAMS } },
    async (req) => {
      const { root, name } = req.params;
      const run = need(root, name);
      const { summary, points } = await summarize(root, name, run, jobAt(root, name));
      const imgDir = imagesDir(run.dir, run.kind);
      const images = (await readdir(imgDir).catch(() => [] as string[])).filter(
        (f) => /^[A-Za-z0-9._-]+\.png$/.test(f) && f !== 'loss.png',
      );
      const withTime = await Promise.all(
        images.map(async (f) => ({ f, t: (await stat(path.join(imgDir, f))).mtimeMs })),
      );
      withTime.sort((a, b) => b.t - a.t || (a.f < b.f ? -1 : 1));
      const job = jobAt(root, name);
      return {
        ...summary,
        entries: points,
        images: withTime.slice(0, 24).map((x) => x.f),
        options: run.kind === 'gan' ? await runOptions(run.dir) : (job?.request.train?.options ?? null),
        notices: job?.notices.slice(-10) ?? [],
        error: job?.error ?? null,
      };
    },
  );

  app.get<{ Params: { root: number; name: string; file: string } }>(
    '/api/runs/:root/:name/images/:file',
    {
      schema: {
        params: {
          ...RUN_PARAMS,
          required: ['root', 'name', 'file'],
          properties: {
            ...RUN_PARAMS.properties,
            file: { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}\\.png$' },
          },
        },
      },
    },
    async (req, reply) => {
      const run = need(req.params.root, req.params.name);
      const file = inside(imagesDir(run.dir, run.kind as RunKind), req.params.file);
      if (!fs.existsSync(file)) throw new ClientError(404, `no image ${req.params.file}`);
      return reply.type('image/png').header('cache-control', 'no-cache').send(fs.createReadStream(file));
    },
  );

  /** The studio's job behind an existing run, or a 409 saying what to do instead (`otherwise`). */
  const studioJob = (root: number, name: string, otherwise: string): JobRecord => {
    need(root, name);
    const job = jobAt(root, name);
    if (!job) throw new ClientError(409, `run '${name}' was not started from the studio: ${otherwise}`);
    return job;
  };

  /** Stop: the run's job ends after its current step with a checkpoint (queued: cancelled). */
  app.post<{ Params: { root: number; name: string } }>(
    '/api/runs/:root/:name/stop',
    { schema: { params: RUN_PARAMS } },
    async (req) => {
      const { root, name } = req.params;
      const job = studioJob(root, name, 'stop it where it runs (Ctrl-C saves a checkpoint)');
      if (job.status !== 'queued' && job.status !== 'running')
        throw new ClientError(409, `run '${name}' is not training (${job.status})`);
      await ctx.queue.cancel(job.id);
      return { job: { id: job.id, status: job.status } };
    },
  );

  /** Resume: the same request queued again; the trainer continues from the run's checkpoint. */
  app.post<{ Params: { root: number; name: string } }>(
    '/api/runs/:root/:name/resume',
    { schema: { params: RUN_PARAMS } },
    async (req, reply) => {
      const { root, name } = req.params;
      const job = studioJob(
        root,
        name,
        'the studio resumes only its own runs (run the same command again; cyclegan/pix2pix with --continue_train)',
      );
      if (job.status === 'queued' || job.status === 'running')
        throw new ClientError(
          409,
          `run '${name}' is already ${job.status === 'queued' ? 'queued' : 'training'}`,
        );
      if (job.status === 'done') throw new ClientError(409, `run '${name}' has finished`);
      const again: JobRecord = {
        id: ctx.store.newId(),
        kind: job.kind,
        status: 'queued',
        created: Date.now(),
        request: job.request,
        inputNames: job.inputNames,
        costs: [],
        frame: 0,
        scaleFrames: [],
        notices: [`resumes run ${name} (job ${job.id})`],
        ...(job.run ? { run: job.run } : {}),
      };
      await ctx.queue.add(again);
      return reply.code(201).send(again);
    },
  );
}
