/**
 * The job worker: a child process that runs one CPU-heavy job (style transfer, a layer
 * experiment, or a training run: worker_train.ts) so the server's event loop stays free. It writes frames and the result into
 * the job's folder itself and reports progress to the server over IPC; 'abort' stops the
 * optimiser after its current step and the last frame is kept as the result.
 */
import path from 'node:path';
import { encodeImage, optionsStamp, writeFileAtomic, type RawImage } from '../images/index.js';
import { stylize, type StylizeOptions } from '../style/stylize.js';
import { commandLine, styleStamp } from './command.js';
import type { JobFiles, JobRecord, ServerMessage, WorkerMessage } from './types.js';
import { runTraining } from './worker_train.js';

const controller = new AbortController();

function send(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });
}

async function writePng(img: RawImage, file: string, text: Record<string, string>): Promise<void> {
  await writeFileAtomic(file, await encodeImage(img, 'png', { text }));
}

async function run(job: JobRecord, dir: string, files: JobFiles): Promise<void> {
  if (job.kind === 'cyclegan-train' || job.kind === 'pix2pix-train' || job.kind === 'fast-train') return runTraining(job, files, controller.signal, send);
  let opts: StylizeOptions;
  let text: Record<string, string>;
  if (job.kind === 'style') {
    const o = { ...(job.request.options ?? {}) } as Record<string, unknown>;
    const styles = job.request.styles ?? [];
    if (styles.some((s) => s.weight !== undefined)) o.styleBlendWeights = styles.map((s) => s.weight ?? 1);
    for (const k of ['contentLayers', 'styleLayers'] as const) if (typeof o[k] === 'string') o[k] = (o[k] as string).split(',');
    const iterations = (o.iterations as number | undefined) ?? 500;
    // The studio always shows frames: about 50 per run unless asked for a cadence.
    if (!o.saveEvery) o.saveEvery = Math.max(1, Math.round(iterations / 50));
    opts = { ...(o as Omit<StylizeOptions, 'content' | 'styles'>), content: files.content!, styles: files.styles };
    text = styleStamp(job);
  } else {
    const e = job.request.explore!;
    const perLayer =
      e.experiment === 'strokes'
        ? { contentWeight: 0, styleWeight: 1e10, contentLayers: [], styleLayers: [e.layer], styleLayerWeights: 'equal' }
        : { contentWeight: 1, styleWeight: 0, contentLayers: [e.layer], styleLayers: [] };
    const iterations = e.iterations ?? 100;
    opts = {
      content: files.image!,
      styles: [files.image!],
      size: e.size ?? 128,
      iterations,
      weights: e.weights ?? 'auto',
      seed: e.seed ?? 0,
      init: 'noise',
      saveEvery: Math.max(1, Math.round(iterations / 20)),
      ...perLayer,
    };
    text = optionsStamp('explore', e, { image: job.inputNames.image ?? 'image' });
  }
  text.Comment = commandLine(job);
  let lastScale = 0;
  let lastFrame: { img: RawImage; evaluation: number; size: [number, number] } | null = null;
  let pending: Promise<void> = Promise.resolve();
  const { image, report } = await stylize(opts, {
    signal: controller.signal,
    notice: (message) => void send({ type: 'notice', message }),
    onProgress: (p) => {
      if (p.scale !== lastScale && lastScale > 0 && lastFrame) {
        const f = lastFrame;
        const scale = lastScale;
        pending = pending.then(async () => {
          await writePng(f.img, path.join(dir, `scale_${scale}.png`), text);
          await send({ type: 'scale', frame: { scale, size: f.size, evaluation: f.evaluation } });
        });
      }
      lastScale = p.scale;
      void send({ type: 'progress', progress: { ...p, size: [p.size[0], p.size[1]] } });
    },
    onFrame: async (img, evaluation) => {
      lastFrame = { img, evaluation, size: [img.height, img.width] };
      await pending;
      await writePng(img, path.join(dir, 'frame.png'), text);
      await send({ type: 'frame', evaluation });
    },
  });
  await pending;
  await writePng(image, path.join(dir, 'result.png'), text);
  await send({ type: 'done', report: report as unknown as Record<string, unknown>, interrupted: report.interrupted });
}

process.on('message', (m: ServerMessage) => {
  if (m.type === 'abort') controller.abort();
  else if (m.type === 'start') {
    run(m.job, m.dir, m.files)
      .catch(async (e: unknown) => {
        await send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => process.disconnect?.());
  }
});
// The server going away ends the job too.
process.on('disconnect', () => {
  controller.abort();
  setTimeout(() => process.exit(0), 2000).unref();
});
