/**
 * The official test.py: loads the generator(s) of --epoch (or iter_[load_iter]), runs them on
 * the first --num_test pictures of --phase in order, unflipped, one at a time, and writes
 * [results_dir]/[name]/[phase]_[epoch]/index.html with the visuals of each picture:
 *
 *   --model cycle_gan (unaligned testA/testB):  real_A, fake_B, rec_A, real_B, fake_A, rec_B
 *   --model pix2pix   (aligned test/):          real_A, fake_B, real_B
 *   --model test      (one folder, one way):    real, fake   (net G[model_suffix])
 *
 * Without --eval the networks stay in training mode, as in the reference: batch norm uses the
 * picture's own statistics and dropout stays active (masks from --seed).
 */
import path from 'node:path';
import { defineG } from '../models/networks.js';
import type { Module } from '../nn/index.js';
import { Rng } from '../nn/random.js';
import { DataError } from './data/files.js';
import { GanDataLoader, type Batch } from './data/loader.js';
import { deriveSeed } from './data/rng.js';
import { Inference, type InferenceBuilder } from './infer.js';
import {
  experimentDir,
  formatOptions,
  saveOptions,
  type GanTestOptions,
  type ParsedGanOptions,
} from './options.js';
import { TestResults, type Visuals } from './report/visuals.js';
import { ganStamp } from './report/stamp.js';
import type { ImageBatch } from './step_common.js';
import { archFlags, loadLabel, loadNets, resolveOptions, type GanOptionInput } from './runner/setup.js';
import { genOptions, networkSummary, SEED_STREAMS } from './runner/model.js';

export interface TestProgress {
  /** Pictures done, and how many will be (min(num_test, dataset size)). */
  done: number;
  total: number;
  /** The input picture just processed. */
  file: string;
}

export interface TestHooks {
  /** Aborting stops after the current picture; the page is still written for what was done. */
  signal?: AbortSignal;
  onProgress?: (p: TestProgress) => void;
  log?: (line: string) => void;
  warn?: (msg: string) => void;
  threads?: number;
}

export interface TestResult {
  /** [results_dir]/[name]/[phase]_[epoch]. */
  webDir: string;
  /** Its index.html. */
  index: string;
  images: number;
  /** Image files written, by input picture. */
  files: { input: string; outputs: string[] }[];
  interrupted: boolean;
  seconds: number;
}


interface TestModel {
  className: string;
  /** Generators by checkpoint name. */
  nets: Record<string, Module>;
  build: InferenceBuilder;
  inputs(batch: Batch): Record<string, ImageBatch>;
  visuals(batch: Batch, out: Record<string, ImageBatch>): Visuals;
}

function target(batch: Batch, model: string): ImageBatch {
  if (!batch.B)
    throw new DataError(`--model ${model} needs pairs of pictures, but this dataset gives one side only`);
  return batch.B;
}

/** The test model's generators and forward(), as the official models build them. */
function testModel(opt: GanTestOptions): TestModel {
  if (opt.model === 'cycle_gan') {
    return {
      className: 'CycleGANModel',
      nets: {
        G_A: defineG(genOptions(opt, opt.input_nc, opt.output_nc), { init: false }),
        G_B: defineG(genOptions(opt, opt.output_nc, opt.input_nc), { init: false }),
      },
      build: ({ real_A, real_B }, call) => {
        const fake_B = call('G_A', real_A, 'G_A(real_A)');
        const rec_A = call('G_B', fake_B, 'G_B(fake_B)');
        const fake_A = call('G_B', real_B, 'G_B(real_B)');
        const rec_B = call('G_A', fake_A, 'G_A(fake_A)');
        return { fake_B, rec_A, fake_A, rec_B };
      },
      inputs: (b) => ({ real_A: b.A, real_B: target(b, opt.model) }),
      visuals: (b, o) => ({
        real_A: b.A,
        fake_B: o.fake_B,
        rec_A: o.rec_A,
        real_B: target(b, opt.model),
        fake_A: o.fake_A,
        rec_B: o.rec_B,
      }),
    };
  }
  if (opt.model === 'pix2pix') {
    return {
      className: 'Pix2PixModel',
      nets: { G: defineG(genOptions(opt, opt.input_nc, opt.output_nc), { init: false }) },
      build: ({ real_A }, call) => ({ fake_B: call('G', real_A, 'G(real_A)') }),
      inputs: (b) => ({ real_A: b.A }),
      visuals: (b, o) => ({ real_A: b.A, fake_B: o.fake_B, real_B: target(b, opt.model) }),
    };
  }
  const name = `G${opt.model_suffix}`;
  return {
    className: 'TestModel',
    nets: { [name]: defineG(genOptions(opt, opt.input_nc, opt.output_nc), { init: false }) },
    build: ({ real }, call) => ({ fake: call(name, real, `${name}(real)`) }),
    inputs: (b) => ({ real: b.A }),
    visuals: (b, o) => ({ real: b.A, fake: o.fake }),
  };
}

/** Runs a trained model on test pictures as the official test.py and writes the results page. */
export async function testGan(
  options: ParsedGanOptions<GanTestOptions> | GanOptionInput,
  hooks: TestHooks = {},
): Promise<TestResult> {
  const parsed = resolveOptions<GanTestOptions>(options, 'test');
  const opt = parsed.opt;
  const log = hooks.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const warn = hooks.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const t0 = performance.now();
  for (const n of parsed.notes) warn(n);
  log(formatOptions(parsed));

  const model = testModel(opt);
  const label = loadLabel(opt);
  const dir = experimentDir(opt);
  // Checkpoints first: a wrong --name should not cost a pass over the dataset folder.
  log(`loading the model from ${path.join(dir, `${label}_net_*.pth`)}`);
  await loadNets(dir, label, model.nets, archFlags(opt, false), warn);
  await saveOptions(parsed);
  log(`model [${model.className}] was created`);
  for (const l of networkSummary(model.nets)) log(l);
  if (opt.eval) for (const net of Object.values(model.nets)) net.eval();

  const loader = await GanDataLoader.create(opt, { warn });
  const infer = new Inference(model.nets, model.build, {
    threads: hooks.threads,
    rng: new Rng(deriveSeed(opt.seed, SEED_STREAMS.dropout)),
  });
  const results = new TestResults(opt, ganStamp(parsed, 'test'));
  log(`dataset [${loader.dataset.className}] was created`);
  log(`creating web directory ${results.webDir}`);
  const total = Math.min(opt.num_test, loader.length);
  const files: TestResult['files'] = [];
  let interrupted = false;
  try {
    let i = 0;
    for await (const batch of loader.epoch()) {
      if (i >= opt.num_test) break;
      const out = await infer.run(model.inputs(batch));
      const visuals = model.visuals(batch, out);
      const file = batch.A_paths[0];
      if (i % 5 === 0) log(`processing (${String(i).padStart(4, '0')})-th image... ['${file}']`);
      const outputs = await results.saveImages(visuals, file);
      files.push({ input: file, outputs });
      i++;
      hooks.onProgress?.({ done: i, total, file });
      if (hooks.signal?.aborted) {
        interrupted = i < total;
        break;
      }
    }
    const index = await results.save();
    return {
      webDir: results.webDir,
      index,
      images: files.length,
      files,
      interrupted,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await infer.release();
    await loader.close();
  }
}
