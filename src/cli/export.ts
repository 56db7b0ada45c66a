/**
 * `ai-art export onnx MODEL -o FILE.onnx`: any supported network as a standalone ONNX model
 * (weights as initializers) that plain onnxruntime runs: VGG-19 features, CycleGAN/pix2pix
 * generators (zoo names or checkpoints) and discriminators (checkpoints).
 */
import fs from 'node:fs';
import { Graph, toOnnxBytes, type Tensor } from '../engine/index.js';
import { VGG19Features, layerIndex } from '../models/vgg19.js';
import { defineD, loadGenerator, type DiscriminatorOptions } from '../models/define.js';
import { Ctx, Dropout, type Module } from '../nn/index.js';
import { defaultHub, readModuleStateDict } from '../weights/index.js';
import { writeFileAtomic } from '../images/index.js';
import { exportCommand as exportSchema } from '../options/commands/weights.js';
import type { OptionsOf } from '../options/command.js';
import { UsageError } from '../options/errors.js';
import { parseCli } from './parse.js';

type ExportOptions = OptionsOf<typeof exportSchema>;

function parseSize(s: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/.exec(s);
  if (!m) throw new UsageError(`--size takes HxW or N, got '${s}'`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

/** What kind of network a state_dict holds, from its keys. */
function kindOf(keys: string[]): 'vgg' | 'generator' | 'discriminator' {
  if (keys.some((k) => k.startsWith('features.'))) return 'vgg';
  if (keys.includes('model.1.weight') || keys.includes('model.model.0.weight')) return 'generator';
  return 'discriminator';
}

async function buildModel(name: string, o: ExportOptions): Promise<{ net: Module; kind: string; forward: (ctx: Ctx, x: Tensor) => Tensor; inC: number }> {
  const upto = o.upto;
  layerIndex(upto);
  const vggForward = (vgg: VGG19Features) => (ctx: Ctx, x: Tensor) => vgg.extract(ctx, x, [upto]).get(upto)!;
  if (name === 'vgg19-random') {
    const vgg = new VGG19Features('max').initRandom(0);
    return { net: vgg, kind: 'vgg19 (random)', forward: vggForward(vgg), inC: 3 };
  }
  let file = name;
  if (!fs.existsSync(name)) file = await defaultHub().resolve(name);
  const sd = await readModuleStateDict(file);
  const kind = kindOf([...sd.keys()]);
  if (kind === 'vgg') {
    const vgg = new VGG19Features('max');
    vgg.loadStateDict(new Map([...sd].filter(([k]) => k.startsWith('features.'))));
    return { net: vgg, kind: 'vgg19', forward: vggForward(vgg), inC: 3 };
  }
  if (kind === 'generator') {
    const { net, inferred } = loadGenerator(sd, o.norm ? { norm: o.norm } : {});
    return { net, kind: `${inferred.netG} ngf ${inferred.ngf} ${inferred.norm}`, forward: (ctx, x) => net.forward(ctx, x), inC: inferred.input_nc };
  }
  const netD = o.netD;
  if (!netD) throw new UsageError(`${name} looks like a discriminator: pass --netD basic|n_layers|pixel (and --norm)`);
  const first = sd.get('model.0.weight') ?? sd.get('net.0.weight');
  if (!first) throw new UsageError(`${name}: not a VGG-19, generator or discriminator state_dict`);
  const dOpts: DiscriminatorOptions = {
    netD,
    input_nc: first.shape[1],
    ndf: first.shape[0],
    n_layers_D: o.n_layers_D,
    norm: o.norm ?? 'instance',
  };
  const net = defineD(dOpts, { init: false });
  net.loadStateDict(sd);
  return { net, kind: `${netD} discriminator`, forward: (ctx, x) => net.forward(ctx, x), inC: dOpts.input_nc! };
}

export async function exportCommand(argv: string[]): Promise<number> {
  const args = parseCli(exportSchema, argv);
  if (!args) return 0;
  const o = args.options;
  const [format, model] = args.positionals;
  if (format !== 'onnx' || !model) throw new UsageError(`usage: ${exportSchema.usage}`);
  const out = o.output;
  const [h, w] = parseSize(o.size);
  const { net, kind, forward, inC } = await buildModel(model, o);
  net.train(o.batchStats);
  // An exported model has no mask inputs: dropout is always off.
  for (const m of net.modules()) if (m instanceof Dropout) m.training = false;
  const g = new Graph();
  const x = g.input('input', [1, inC, h, w]);
  const y = forward(new Ctx(g, { root: net }), x);
  const bytes = toOnnxBytes({ output: y }, { name: kind.replace(/\W+/g, '_') });
  await writeFileAtomic(out, bytes);
  process.stderr.write(`wrote ${out}: ${kind}, input [1,${inC},${h},${w}] -> output [${y.shape.join(',')}], ${(bytes.length / 1e6).toFixed(1)} MB\n`);
  return 0;
}
