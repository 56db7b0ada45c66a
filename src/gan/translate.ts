/**
 * Image-to-image translation with a trained generator: a CycleGAN or pix2pix checkpoint
 * (ours or the official code's), or a zoo name pulled through the hub. The architecture is
 * read off the checkpoint; options given by the user are checked against it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GraphError } from '../engine/index.js';
import { cropRaw, fromSigned, padToMultiple, toSigned, type RawImage } from '../images/index.js';
import { loadGenerator, parseNetG, type Generator, type GeneratorOptions } from '../models/define.js';
import { Rng } from '../nn/index.js';
import { defaultHub, readModuleStateDict } from '../weights/index.js';
import { Inference } from './infer.js';

export interface LoadedGenerator {
  net: Generator;
  netG: string;
  /** Spatial sizes must be multiples of this. */
  multiple: number;
  source: string;
  inputNc: number;
}

/** A generator from a .pth path or a hub name (downloaded if needed and allowed). */
export async function resolveGenerator(model: string, given: Partial<GeneratorOptions> = {}): Promise<LoadedGenerator> {
  let file = model;
  if (!fs.existsSync(model)) {
    if (/[/\\]/.test(model) && /\.pth$/.test(model)) throw new Error(`--model ${model}: no such file`);
    file = await defaultHub().ensure(model);
  }
  const sd = await readModuleStateDict(file);
  const { net, inferred } = loadGenerator(sd, given);
  const arch = parseNetG(inferred.netG);
  return {
    net,
    netG: inferred.netG,
    multiple: arch.kind === 'resnet' ? 4 : 2 ** arch.numDowns,
    source: file,
    inputNc: inferred.input_nc,
  };
}

/** Nearest sizes a network accepts, for the error message. */
export function nearestValid(n: number, m: number): number[] {
  const lo = Math.max(m, Math.floor(n / m) * m);
  const hi = Math.max(m, Math.ceil(n / m) * m);
  return lo === hi ? [lo] : [lo, hi];
}

export interface TranslateOptions {
  /** Official test.py's --eval: batch norm with running statistics, dropout off. */
  eval?: boolean;
  /** Reflect-pad inputs to a size the network accepts and crop back (always on for ResNets). */
  pad?: boolean;
  seed?: number;
  threads?: number;
}

export class Translator {
  private inference: Inference;
  constructor(
    readonly gen: LoadedGenerator,
    private readonly opts: TranslateOptions = {},
  ) {
    gen.net.train(!opts.eval);
    this.inference = new Inference({ G: gen.net }, (ins, call) => ({ fake: call('G', ins.real) }), {
      rng: new Rng(opts.seed ?? 0),
      threads: opts.threads,
    });
  }

  async translate(img: RawImage, name = 'image'): Promise<RawImage> {
    const m = this.gen.multiple;
    const fits = img.width % m === 0 && img.height % m === 0;
    if (!fits && !(this.opts.pad || this.gen.multiple === 4)) {
      throw new GraphError(
        `${name} is ${img.width}x${img.height}; ${this.gen.netG} takes sizes that are multiples of ${m}: ` +
          `nearest widths ${nearestValid(img.width, m).join(' or ')}, heights ${nearestValid(img.height, m).join(' or ')} ` +
          '(resize it, or pass --pad to reflect the borders out and crop back)',
      );
    }
    const { image: padded, box } = padToMultiple(img, m, 'reflect');
    let data = toSigned(padded).data;
    if (this.gen.inputNc === 1) {
      const n = padded.width * padded.height;
      const grey = new Float32Array(n);
      for (let i = 0; i < n; i++) grey[i] = 0.299 * data[i] + 0.587 * data[n + i] + 0.114 * data[2 * n + i];
      data = grey;
    }
    const r = await this.inference.run({ real: { data, shape: [1, this.gen.inputNc, padded.height, padded.width] } });
    const [, c, h, w] = r.fake.shape;
    let out = r.fake.data;
    if (c === 1) out = Float32Array.from({ length: 3 * h * w }, (_, i) => r.fake.data[i % (h * w)]);
    const full = fromSigned({ width: w, height: h, data: out });
    return cropRaw(full, box.x, box.y, box.width, box.height);
  }

  async release(): Promise<void> {
    await this.inference.release();
  }
}

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|gif|bmp|avif)$/i;

/** Files and folders (one level) of images, in a stable order. */
export function expandInputs(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or folder`);
    if (fs.statSync(p).isDirectory()) {
      const files = fs.readdirSync(p).filter((f) => IMAGE_EXT.test(f)).sort();
      if (files.length === 0) throw new Error(`${p}: no images in this folder`);
      out.push(...files.map((f) => path.join(p, f)));
    } else out.push(p);
  }
  return out;
}

