import { SimdAdamState, type AdamConstants } from './adam_simd.js';

/** Adam as torch.optim.Adam (no weight decay, no amsgrad), on flat float32 vectors. */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /**
   * 'simd' (the default where WebAssembly SIMD runs): float32 arithmetic in PyTorch's order of
   * operations, ~3x faster; 'js': a float64 JavaScript loop.
   */
  kernel?: 'simd' | 'js';
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;
  private readonly simd: SimdAdamState | null;
  /** This step's constants, set by `begin`. */
  private k: AdamConstants | null = null;
  constructor(
    size: number,
    public opts: AdamOptions,
  ) {
    this.simd = opts.kernel === 'js' ? null : SimdAdamState.create(size);
    this.m = this.simd?.m ?? new Float32Array(size);
    this.v = this.simd?.v ?? new Float32Array(size);
  }

  /** Which update runs: 'simd' unless asked for 'js' or WebAssembly SIMD is unavailable. */
  get kernel(): 'simd' | 'js' {
    return this.simd ? 'simd' : 'js';
  }

  /** One update of x in place from its gradient g. */
  update(x: Float32Array, g: Float32Array): void {
    this.begin();
    this.updateAt(x, g, 0);
  }

  /**
   * Starts a step whose segments then come through `updateAt`, so a network's parameters can
   * be updated where they live instead of being copied into one flat vector and back.
   */
  begin(): void {
    this.step++;
    this.k = this.constants(this.step);
  }

  /**
   * The update's constants at step t (1-based), with torch's bias corrections: also what an
   * Adam step computed inside a graph is fed (NetAdam.inGraph).
   */
  constants(t: number): AdamConstants {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.opts;
    return { beta1, beta2, eps, stepSize: lr / (1 - beta1 ** t), bc2: Math.sqrt(1 - beta2 ** t) };
  }

  /** Updates x (elements offset .. offset + x.length of the flat state) from g, in the current step. */
  updateAt(x: Float32Array, g: Float32Array, offset: number): void {
    const { k } = this;
    if (!k) throw new RangeError('Adam: updateAt before begin()');
    if (g.length !== x.length || offset + x.length > this.m.length)
      throw new RangeError(
        `Adam: segment of ${x.length} at ${offset} does not fit (gradient ${g.length}, state ${this.m.length})`,
      );
    if (this.simd) return this.simd.update(x, g, offset, k);
    adamKernel(x, g, this.m, this.v, offset, k);
  }
}

/**
 * The loop on its own in a small sync function: V8 keeps it tight there (see the note in
 * lbfgs.ts). float64 arithmetic, the moments rounded as their float32 stores round them, so
 * the update reads the values it wrote.
 */
function adamKernel(
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  offset: number,
  k: AdamConstants,
): void {
  const { beta1, beta2, stepSize, bc2, eps } = k;
  const n = x.length;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const j = offset + i;
    const mj = f(beta1 * m[j] + c1 * gi);
    const vj = f(beta2 * v[j] + c2 * gi * gi);
    m[j] = mj;
    v[j] = vj;
    x[i] -= (stepSize * mj) / (Math.sqrt(vj) / bc2 + eps);
  }
}
