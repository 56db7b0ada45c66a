/**
 * A training job request checked as the CLI checks the same command: the dataset folder under
 * a configured root, a free run name, the style picture for fast train, and the command's own
 * option checks (what JSON Schema cannot say, e.g. a model's architecture constraints).
 */
import { existsSync } from 'node:fs';
import { fastTrainCommand } from '../options/commands/fast_train.js';
import { UsageError } from '../options/errors.js';
import { resolveOptions } from '../gan/runner/setup.js';
import type { GanOptionInput } from '../gan/runner/setup.js';
import { inside } from './paths.js';
import { datasetDir } from './routes/datasets.js';
import type { StudioContext } from './server.js';
import type { JobRequest } from './types.js';
import { ClientError } from './uploads.js';

export async function checkTrainRequest(
  ctx: StudioContext,
  body: JobRequest,
  id: string,
): Promise<JobRequest> {
  const t = body.train;
  if (!t) throw new ClientError(400, `a ${body.kind} job needs 'train' (dataset, options)`);
  if (body.content || body.styles || body.options || body.explore)
    throw new ClientError(400, `a ${body.kind} job takes only 'train'`);
  const dataset = await datasetDir(ctx, t.dataset);
  if (body.kind === 'fast-train' && !t.styleImage)
    throw new ClientError(400, 'the style picture (train.styleImage) is missing');
  if (body.kind !== 'fast-train' && t.styleImage)
    throw new ClientError(400, `a ${body.kind} job takes no style picture`);
  const name = t.name ?? `${body.kind.replace('-train', '')}-${id}`;
  const busy = ctx.queue.list().some((j) => j.request.train?.name === name);
  if (busy || existsSync(inside(ctx.store.runsDir, name)))
    throw new ClientError(
      409,
      `a run named '${name}' exists; resume it from the dashboard or choose another name`,
    );
  const options = t.options ?? {};
  try {
    if (body.kind === 'fast-train')
      fastTrainCommand.resolve({ ...options, dataset, styleImage: 'style', saveModelDir: 'run' });
    else
      resolveOptions(
        {
          ...(options as GanOptionInput),
          dataroot: dataset,
          name,
          model: body.kind === 'pix2pix-train' ? 'pix2pix' : 'cycle_gan',
        },
        'train',
      );
  } catch (e) {
    if (e instanceof UsageError) throw new ClientError(400, e.message);
    throw e;
  }
  return { kind: body.kind, train: { ...t, name } };
}
