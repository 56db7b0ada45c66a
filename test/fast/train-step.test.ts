/**
 * Training-step parity with pytorch/examples fast_neural_style (scripts/fixtures/fast_train.py):
 * two iterations of its loop (content on relu2_2, Gram style on four VGG-16 layers, Adam lr 1e-3)
 * from identical weights and batches, against PyTorch in float64.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FastTrainStep, styleTargets } from '../../src/fast/train_step.js';
import { VGGFeatures } from '../../src/models/vgg.js';
import { TransformerNet } from '../../src/models/transformer_net.js';
import { loadFixture } from '../helpers/fixtures.js';
import { hashInitTransformer, hashInitVgg } from '../helpers/hash_init.js';

const fx = loadFixture('fast/train_step');
const meta = fx.meta as unknown as {
  content_weight: number;
  style_weight: number;
  lr: number;
  steps: { content: number; style: number; total: number }[];
  noise_keys: string[];
  keys: string[];
};

const net = new TransformerNet({ width: 'half' });
hashInitTransformer(net);
const vgg = new VGGFeatures('vgg16');
hashInitVgg(vgg);
let step: FastTrainStep | null = null;
after(() => step?.release());

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);
function norm(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

test('two Adam steps of the full perceptual loss match PyTorch (float64 reference)', async (t) => {
  const targets = await styleTargets(vgg, { data: fx.f32('style'), shape: fx.shape('style') }, 2);
  step = new FastTrainStep(net, vgg, targets, { contentWeight: meta.content_weight, styleWeight: meta.style_weight }, { lr: meta.lr, threads: 2 });
  const params = new Map(net.namedParameters());
  assert.deepEqual([...params.keys()], meta.keys, 'parameters in the reference order');
  const noise = new Set(meta.noise_keys);
  for (const [s, name] of [[1, 'x1'], [2, 'x2']] as const) {
    const losses = await step.step({ data: fx.f32(name), shape: fx.shape(name) });
    const want = meta.steps[s - 1];
    // PyTorch's own float32 run lands within 3e-7 of float64 (meta.float32_vs_float64).
    assert.ok(rel(losses.content, want.content) < 1e-5, `step ${s} content ${losses.content} vs ${want.content}`);
    assert.ok(rel(losses.style, want.style) < 1e-5, `step ${s} style ${losses.style} vs ${want.style}`);
    assert.ok(rel(losses.total, want.total) < 1e-5, `step ${s} total`);
    const grads = step.optimizer.grad;
    let worstGrad = 0;
    let o = 0;
    for (const [k, p] of params) {
      const n = p.f32.length;
      const g = grads.subarray(o, o + n);
      o += n;
      const gHead = fx.f32(`step${s}.grad_head.${k}`);
      const wHead = fx.f32(`step${s}.weight_head.${k}`);
      const gNorm = fx.f32(`step${s}.grad_norm.${k}`)[0];
      if (noise.has(k)) {
        // Exactly zero in exact arithmetic (a constant an InstanceNorm removes): rounding noise,
        // whose sign Adam turns into ±lr; the weights can differ by 2·lr per step.
        assert.ok(norm(g) < 1e-6 * Math.max(1, gNorm) + 1e-3, `${k}: gradient should be ~0, got ${norm(g)}`);
        for (let i = 0; i < wHead.length; i++) assert.ok(Math.abs(p.f32[i] - wHead[i]) <= 2 * s * meta.lr + 1e-6, `${k}[${i}] weight`);
        continue;
      }
      // Step 1 starts from identical weights: float32 rounding only. Step 2 starts from weights
      // where elements with near-zero gradients took ±lr by rounding (PyTorch float32 itself is
      // 2% off float64 there in the worst parameter's gradient).
      const gTol = s === 1 ? 1e-4 : 5e-2;
      worstGrad = Math.max(worstGrad, rel(norm(g), gNorm));
      assert.ok(rel(norm(g), gNorm) < gTol, `step ${s} ${k}: |grad| ${norm(g)} vs ${gNorm}`);
      for (let i = 0; i < gHead.length; i++) assert.ok(Math.abs(g[i] - gHead[i]) <= gTol * gNorm + 1e-12, `step ${s} ${k}[${i}] grad ${g[i]} vs ${gHead[i]}`);
      for (let i = 0; i < wHead.length; i++) {
        // Adam's first steps move each weight by about lr·sign(g): where |g| is tiny against eps
        // or its sign is rounding, the step differs; elsewhere the weights agree to float32.
        const small = Math.abs(gHead[i]) < 1e-4 * gNorm;
        const tol = small ? 2 * s * meta.lr : s === 1 ? 1e-6 : 4e-4;
        assert.ok(Math.abs(p.f32[i] - wHead[i]) <= tol, `step ${s} ${k}[${i}] weight ${p.f32[i]} vs ${wHead[i]}`);
      }
    }
    t.diagnostic(
      `step ${s}: content rel ${rel(losses.content, want.content).toExponential(1)}, style rel ${rel(losses.style, want.style).toExponential(1)}, ` +
        `worst |grad| rel ${worstGrad.toExponential(1)}`,
    );
  }
});
