/** Jobs: create, list, cancel, remove, files, the CLI command, and live events (SSE). */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { commandLine } from '../command.js';
import { styleCommand } from '../../options/commands/style.js';
import { OptionError } from '../../options/errors.js';
import { checkTrainRequest } from '../train_request.js';
import type { JobEvent } from '../queue.js';
import { ID_PARAMS, JOB_REQUEST_SCHEMA, TRAIN_KINDS } from '../schemas.js';
import type { StudioContext } from '../server.js';
import type { JobRecord, JobRequest } from '../types.js';
import { ClientError, uploadInfo } from '../uploads.js';

const FILE_PARAMS = {
  type: 'object',
  required: ['id', 'name'],
  properties: { id: ID_PARAMS.properties.id, name: { type: 'string', pattern: '^(frame|result|scale_[1-9])\\.png$' } },
} as const;

/** A job without its cost history, for frequent updates. */
function light(job: JobRecord): Omit<JobRecord, 'costs'> {
  const { costs: _costs, ...rest } = job;
  return rest;
}

export function registerJobRoutes(app: FastifyInstance, ctx: StudioContext): void {
  const { queue, store } = ctx;
  const need = (id: string): JobRecord => {
    const j = queue.get(id);
    if (!j) throw new ClientError(404, `no job ${id}`);
    return j;
  };

  app.post<{ Body: JobRequest }>('/api/jobs', { schema: { body: JOB_REQUEST_SCHEMA } }, async (req, reply) => {
    const body = req.body;
    const inputNames: Record<string, string> = {};
    const named = async (key: string, id: string | undefined, what: string) => {
      if (!id) throw new ClientError(400, `${what} is missing`);
      const info = await uploadInfo(store, id);
      if (!info) throw new ClientError(400, `${what}: no upload ${id}`);
      inputNames[key] = info.name;
    };
    let cacheKey: string | undefined;
    const id = store.newId();
    let request: JobRequest = body;
    if (body.kind !== 'style' && body.kind !== 'explore') {
      request = await checkTrainRequest(ctx, body, id);
      if (request.train?.styleImage) await named('styleImage', request.train.styleImage, 'the style picture');
      inputNames.dataset = request.train!.dataset.name;
    } else if (body.kind === 'style') {
      if (!body.styles?.length) throw new ClientError(400, 'at least one style image is needed');
      if (body.explore) throw new ClientError(400, "a style job takes no 'explore'");
      await named('content', body.content, 'the content image');
      for (const [i, s] of body.styles.entries()) await named(`style${i}`, s.id, `style image ${i + 1}`);
      if (!body.styles.some((s) => (s.weight ?? 1) > 0)) throw new ClientError(400, 'at least one style blend weight must be positive');
      // The command's own checks (layer lists against cost weights, ...), as the CLI runs them.
      try {
        styleCommand.resolve(body.options ?? {});
      } catch (e) {
        if (e instanceof OptionError) throw new ClientError(400, e.message);
        throw e;
      }
    } else {
      if (!body.explore) throw new ClientError(400, "an explore job needs 'explore'");
      await named('image', body.explore.image, 'the image');
      cacheKey = createHash('sha256').update(JSON.stringify(['explore', body.explore])).digest('hex');
      const have = queue.findDone(cacheKey);
      if (have) return reply.code(200).send({ ...have, cached: true });
    }
    const job: JobRecord = {
      id,
      kind: body.kind,
      status: 'queued',
      created: Date.now(),
      request,
      inputNames,
      costs: [],
      frame: 0,
      scaleFrames: [],
      notices: [],
      ...(cacheKey ? { cacheKey } : {}),
      ...(request.train?.name ? { run: { root: ctx.runRoots.indexOf(store.runsDir), name: request.train.name } } : {}),
    };
    await queue.add(job);
    return reply.code(201).send(job);
  });

  app.get<{ Querystring: { kind?: string } }>(
    '/api/jobs',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: ['style', 'explore', ...TRAIN_KINDS] } } } } },
    async (req) => queue.list().filter((j) => !req.query.kind || j.kind === req.query.kind).map(light),
  );

  app.get<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: ID_PARAMS } }, async (req) => need(req.params.id));

  app.get<{ Params: { id: string } }>('/api/jobs/:id/command', { schema: { params: ID_PARAMS } }, async (req) => ({
    command: commandLine(need(req.params.id)),
  }));

  app.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', { schema: { params: ID_PARAMS } }, async (req) => {
    need(req.params.id);
    return light((await queue.cancel(req.params.id))!);
  });

  app.delete<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: ID_PARAMS } }, async (req, reply) => {
    need(req.params.id);
    if (!(await queue.remove(req.params.id))) throw new ClientError(409, 'a queued or running job cannot be removed; cancel it first');
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string; name: string } }>('/api/jobs/:id/files/:name', { schema: { params: FILE_PARAMS } }, async (req, reply) => {
    need(req.params.id);
    const file = store.jobFile(req.params.id, req.params.name);
    if (!fs.existsSync(file)) throw new ClientError(404, `${req.params.name} is not there (yet)`);
    const download = (req.query as Record<string, string> | undefined)?.download !== undefined;
    if (download) void reply.header('content-disposition', `attachment; filename="ai-art-${req.params.id}-${req.params.name}"`);
    return reply.type('image/png').header('cache-control', 'no-cache').send(fs.createReadStream(file));
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id/events', { schema: { params: ID_PARAMS } }, (req, reply) => {
    const job = need(req.params.id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('job', job);
    const on = (e: JobEvent) => {
      if (e.job.id !== job.id) return;
      if (e.type === 'progress') send('progress', { progress: e.job.progress, cost: e.job.costs[e.job.costs.length - 1] });
      else if (e.type === 'frame') send('frame', { evaluation: e.job.frame });
      else send('job', light(e.job));
    };
    queue.on('event', on);
    ctx.streams.add(res);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15000);
    res.on('close', () => {
      clearInterval(beat);
      queue.off('event', on);
      ctx.streams.delete(res);
    });
  });
}
