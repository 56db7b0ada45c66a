import { SimdAdamState } from './adam_simd.js';

/** Adam as torch.optim.Adam (no weight decay, no amsgrad), on flat float32 vectors. */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /**
   * 'simd' (the default where WebAssembly SIMD runs): float32 arithmetic in PyTorch's order,
   * ~3x faster; 'js': a float64 JavaScript loop.
   */
  kernel?: 'simd' | 'js';
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;
  private readonly simd: SimdAdamState | null;
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
  }

  /** Updates x (elements offset .. offset + x.length of the flat state) from g, in the current step. */
  updateAt(x: Float32Array, g: Float32Array, offset: number): void {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.opts;
    if (g.length !== x.length || offset + x.length > this.m.length)
      throw new RangeError(
        `Adam: segment of ${x.length} at ${offset} does not fit (gradient ${g.length}, state ${this.m.length})`,
      );
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = Math.sqrt(1 - beta2 ** this.step);
    if (this.simd) return this.simd.update(x, g, offset, { beta1, beta2, stepSize: lr / bc1, bc2, eps });
    adamKernel(x, g, this.m, this.v, offset, beta1, beta2, lr / bc1, bc2, eps);
  }
}

/**
 * The loop on its own in a small sync function with every constant an argument: V8 keeps it
 * tight there (see the note in lbfgs.ts). Same arithmetic (float64, float32 state) and
 * roundings as before it was split out, so results do not change.
 */
function adamKernel(
  x: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  offset: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  bc2: number,
  eps: number,
): void {
  const n = x.length;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const j = offset + i;
    // Rounded as the stores round them, so the update reads the same values it wrote.
    const mj = f(beta1 * m[j] + c1 * gi);
    const vj = f(beta2 * v[j] + c2 * gi * gi);
    m[j] = mj;
    v[j] = vj;
    x[i] -= (stepSize * mj) / (Math.sqrt(vj) / bc2 + eps);
  }
}
