/**
 * The studio's HTTP server (Fastify): the JSON API under /api, live job updates as
 * Server-Sent Events (one-way, reconnecting by themselves, any number of watchers per job),
 * and the built front end as static files. All CPU-heavy work runs in child processes
 * (queue.ts, interactive_client.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import { InteractiveWorker } from './interactive_client.js';
import { JobQueue } from './queue.js';
import { Store } from './store.js';
import { inside, studioDir } from './paths.js';
import { STYLE_OPTIONS_SCHEMA, TRAIN_KINDS, TRAIN_SCHEMAS } from './schemas.js';
import type { TrainKind } from './types.js';
import { ClientError, DEFAULT_LIMITS, type StudioLimits } from './uploads.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerUploadRoutes } from './routes/uploads.js';
import { registerTranslateRoutes } from './routes/translate.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerFastRoutes } from './routes/fast.js';
import { registerDatasetRoutes } from './routes/datasets.js';

export interface StudioOptions {
  /** Folder for jobs, uploads and results (default: studioDir(), under AI_ART_HOME). */
  home?: string;
  host?: string;
  port?: number;
  limits?: Partial<StudioLimits>;
  /** Training-run folders the dashboard may read (default: ./checkpoints); the studio's own runs folder is added. */
  runRoots?: string[];
  /** Folders whose sub-folders may be chosen as training datasets (default: ./datasets). */
  datasetRoots?: string[];
  /** Seconds a stopped job may take to hand back its last frame before it is killed. */
  abortGraceMs?: number;
  logger?: boolean;
}

export interface Studio {
  app: FastifyInstance;
  url: string;
  queue: JobQueue;
  store: Store;
  close(): Promise<void>;
}

export interface StudioContext {
  store: Store;
  queue: JobQueue;
  limits: StudioLimits;
  interactive: InteractiveWorker;
  /** The --runs roots, then the studio's own runs folder (store.runsDir). */
  runRoots: string[];
  datasetRoots: string[];
  /** Open SSE responses, ended when the server closes. */
  streams: Set<ServerResponse>;
}

/** The package root: two levels above this file in src/studio and in dist/studio. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The built front end (npm run build:web). */
export function webDir(): string {
  return path.join(packageRoot(), 'dist', 'studio-web');
}

export async function createStudio(opts: StudioOptions = {}): Promise<Studio> {
  const limits: StudioLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const store = new Store(opts.home ?? studioDir());
  await store.init();
  const datasetRoots = (opts.datasetRoots ?? [path.resolve('datasets')]).map((r) => path.resolve(r));
  const queue = new JobQueue(
    store,
    (job) => {
      const f = (id: string | undefined) => {
        if (!id || !store.uploadExists(id)) throw new Error('an input image of this job is gone from the uploads');
        return store.uploadPath(id);
      };
      if (job.kind === 'style') return { content: f(job.request.content), styles: (job.request.styles ?? []).map((s) => f(s.id)) };
      if (job.kind === 'explore') return { styles: [], image: f(job.request.explore?.image) };
      const t = job.request.train!;
      const root = datasetRoots[t.dataset.root];
      if (root === undefined) throw new Error(`dataset root ${t.dataset.root} is no longer configured`);
      return {
        styles: [],
        train: {
          dataset: inside(root, t.dataset.name),
          runDir: inside(store.runsDir, t.name!),
          ...(job.kind === 'fast-train' ? { styleImage: f(t.styleImage), fastModels: store.fastDir } : {}),
        },
      };
    },
    { abortGraceMs: opts.abortGraceMs },
  );
  const interactive = new InteractiveWorker();
  const ctx: StudioContext = {
    store,
    queue,
    limits,
    interactive,
    runRoots: [...new Set([...(opts.runRoots ?? [path.resolve('checkpoints')]).map((r) => path.resolve(r)).filter((r) => r !== store.runsDir), store.runsDir])],
    datasetRoots,
    streams: new Set(),
  };

  const app = Fastify({
    logger: opts.logger ?? false,
    // Bodies other than uploads are small JSON.
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: false, allErrors: false, keywords: ['x-flag', 'x-group', 'x-advanced', 'x-log', 'x-aliases', 'x-list', 'x-metavar', 'x-ignored', 'x-path'] } },
  });
  await app.register(multipart, {
    limits: { fileSize: Math.max(limits.maxUploadBytes, limits.maxModelBytes), files: 1, fields: 10, fieldSize: 1024, parts: 12 },
  });
  app.setErrorHandler((err: FastifyError | ClientError, req, reply) => {
    const status = err instanceof ClientError ? err.statusCode : (err as FastifyError).validation ? 400 : (err.statusCode ?? 500);
    if (status >= 500) req.log.error(err);
    // Ajv's message for an unknown property does not say which one; the option's name is what the user needs.
    const v = (err as FastifyError).validation?.[0];
    const extra = v?.keyword === 'additionalProperties' ? `: '${String(v.params.additionalProperty)}'` : '';
    void reply.code(status >= 400 && status < 600 ? status : 500).send({ error: status >= 500 ? `internal error: ${err.message}` : `${err.message}${extra}` });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no such ${req.url.startsWith('/api/') ? 'endpoint' : 'page'}: ${req.method} ${req.url.split('?')[0]}` });
  });

  registerUploadRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerTranslateRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerFastRoutes(app, ctx);
  registerDatasetRoutes(app, ctx);
  app.get('/api/health', async () => ({ ok: true, home: store.home }));
  // The form's source: the same schema the job request is validated with.
  app.get('/api/schemas/style', async () => STYLE_OPTIONS_SCHEMA);
  app.get<{ Params: { kind: TrainKind } }>(
    '/api/schemas/:kind',
    { schema: { params: { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: [...TRAIN_KINDS] } } } } },
    async (req) => TRAIN_SCHEMAS[req.params.kind],
  );

  const web = webDir();
  if (fs.existsSync(path.join(web, 'index.html'))) {
    await app.register(fastifyStatic, { root: web, prefix: '/', index: ['index.html'], wildcard: true });
  } else {
    app.get('/', async (_req, reply) =>
      reply.type('text/plain').send('The studio front end is not built: run `npm run build:web` in the ai-art package.\n'),
    );
  }
  registerOrtWasm(app);

  app.addHook('onClose', async () => {
    for (const s of ctx.streams) s.end();
    await queue.close();
    await interactive.close();
  });

  await queue.init();
  const address = await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 7860 });
  return {
    app,
    url: address.replace('[::1]', 'localhost'),
    queue,
    store,
    close: () => app.close(),
  };
}

/** onnxruntime-web's WebAssembly files, from node_modules (never a CDN), when installed. */
function registerOrtWasm(app: FastifyInstance): void {
  const dir = path.join(packageRoot(), 'node_modules', 'onnxruntime-web', 'dist');
  if (!fs.existsSync(dir)) return;
  app.get<{ Params: { name: string } }>(
    '/ort/:name',
    { schema: { params: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^ort-wasm[a-z0-9._-]*\\.(wasm|mjs)$' } } } } },
    async (req, reply) => {
      const file = path.join(dir, req.params.name);
      if (!fs.existsSync(file)) throw new ClientError(404, `no such file: ${req.params.name}`);
      return reply
        .type(file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript')
        .send(fs.createReadStream(file));
    },
  );
}
