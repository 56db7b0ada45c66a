/**
 * The interactive worker: one long-lived child process for short requests the page waits on
 * (a translation while drawing, checking an uploaded .pth through the allow-list reader), so
 * they neither block the server's event loop nor queue behind a long style job. Generators
 * stay loaded between requests (the two most recent).
 */
import sharp from 'sharp';
import { encodeImage, loadImage, optionsStamp, resizeLongestSide, writeFileAtomic } from '../images/index.js';
import { Translator, resolveGenerator } from '../gan/translate.js';
import { loadGenerator } from '../models/define.js';
import { readModuleStateDict } from '../weights/index.js';
import fs from 'node:fs';
import { Graph, toOnnxBytes } from '../engine/index.js';
import { Ctx } from '../nn/index.js';
import { TransformerNetModel, loadFastModel } from '../fast/model.js';
import { freeSpatialDims, inspectOnnx } from '../weights/onnx_model.js';

export type InteractiveRequest =
  | { type: 'inspect'; file: string }
  | { type: 'fast-inspect'; file: string }
  | { type: 'fast-onnx'; model: string; height: number; width: number; out: string }
  | { type: 'translate'; model: string; modelLabel: string; image: Uint8Array; eval?: boolean; seed?: number; maxSide: number };

export type InteractiveReply =
  | { type: 'inspect'; netG: string; inputNc: number; outputNc: number; kind: 'pix2pix' | 'cyclegan' }
  | { type: 'fast-inspect'; description: string; format: 'pth' | 'onnx'; valueRange: number }
  | { type: 'fast-onnx'; file: string; valueRange: number }
  | { type: 'translate'; png: Uint8Array; width: number; height: number; netG: string; ms: number };

const translators = new Map<string, Translator>();

async function translator(model: string, evalMode: boolean, seed: number): Promise<Translator> {
  const key = `${model}|${evalMode}|${seed}`;
  const have = translators.get(key);
  if (have) {
    translators.delete(key);
    translators.set(key, have);
    return have;
  }
  const tr = new Translator(await resolveGenerator(model), { eval: evalMode, pad: true, seed });
  translators.set(key, tr);
  while (translators.size > 2) {
    const [k, old] = translators.entries().next().value as [string, Translator];
    translators.delete(k);
    await old.release();
  }
  return tr;
}

/**
 * A feed-forward style model as ONNX for onnxruntime-web: TransformerNet checkpoints are
 * exported through the engine at the size asked (the browser asks per webcam or image size);
 * ONNX models get their spatial sizes freed so they take any size.
 */
async function fastOnnx(model: string, height: number, width: number, out: string): Promise<{ valueRange: number }> {
  const m = await loadFastModel(model);
  try {
    if (m instanceof TransformerNetModel) {
      const g = new Graph();
      const x = g.input('input', [1, 3, height, width]);
      const y = m.net.forward(new Ctx(g, { root: m.net }), x);
      await writeFileAtomic(out, toOnnxBytes({ output: y }, { name: 'transformer_net' }));
      return { valueRange: 255 };
    }
    const bytes = fs.readFileSync(m.source);
    const info = inspectOnnx(bytes, m.source);
    await writeFileAtomic(out, freeSpatialDims(bytes, info.inputs[0].name, info.outputs[0].name, m.source));
    return { valueRange: m.valueRange };
  } finally {
    await m.release();
  }
}

async function handle(req: InteractiveRequest): Promise<InteractiveReply> {
  if (req.type === 'fast-inspect') {
    const m = await loadFastModel(req.file);
    try {
      return { type: 'fast-inspect', description: m.description, format: m.kind === 'onnx' ? 'onnx' : 'pth', valueRange: m.valueRange };
    } finally {
      await m.release();
    }
  }
  if (req.type === 'fast-onnx') {
    const r = await fastOnnx(req.model, req.height, req.width, req.out);
    return { type: 'fast-onnx', file: req.out, valueRange: r.valueRange };
  }
  if (req.type === 'inspect') {
    const sd = await readModuleStateDict(req.file);
    const { inferred } = loadGenerator(sd);
    // U-Nets are pix2pix's generators, ResNets CycleGAN's (either can train either, but this is the default pairing).
    return {
      type: 'inspect',
      netG: inferred.netG,
      inputNc: inferred.input_nc,
      outputNc: inferred.output_nc,
      kind: inferred.netG.startsWith('unet') ? 'pix2pix' : 'cyclegan',
    };
  }
  const t0 = performance.now();
  const tr = await translator(req.model, req.eval ?? false, req.seed ?? 0);
  const meta = await sharp(req.image).metadata();
  let img = await loadImage(Buffer.from(req.image));
  if (Math.max(meta.width ?? 0, meta.height ?? 0) > req.maxSide) img = resizeLongestSide(img, req.maxSide);
  const out = await tr.translate(img, 'image');
  const png = await encodeImage(out, 'png', {
    text: optionsStamp('translate', { model: req.modelLabel, eval: req.eval ?? false, seed: req.seed ?? 0 }),
  });
  return { type: 'translate', png, width: out.width, height: out.height, netG: tr.gen.netG, ms: performance.now() - t0 };
}

process.on('message', (m: { rid: number; req: InteractiveRequest }) => {
  handle(m.req).then(
    (reply) => process.send?.({ rid: m.rid, ok: true, reply }),
    (e: unknown) => process.send?.({ rid: m.rid, ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
