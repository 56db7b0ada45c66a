/** Adam as torch.optim.Adam (no weight decay, no amsgrad), on flat float32 vectors. */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;
  constructor(
    size: number,
    public opts: AdamOptions,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update of x in place from its gradient g. */
  update(x: Float32Array, g: Float32Array): void {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = this.opts;
    this.step++;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = Math.sqrt(1 - beta2 ** this.step);
    const stepSize = lr / bc1;
    const { m, v } = this;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      x[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2 + eps);
    }
  }
}
