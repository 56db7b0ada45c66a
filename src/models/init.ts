/**
 * networks.init_weights of the official code: Conv/ConvTranspose weights from the chosen
 * scheme, their biases 0; BatchNorm weights ~ N(1, gain), biases 0. Same distributions as
 * torch.nn.init, drawn from our seeded Rng (so not the same numbers as PyTorch's).
 */
import { GraphError } from '../engine/graph.js';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Rng, type Module, type Parameter } from '../nn/index.js';

export type InitType = 'normal' | 'xavier' | 'kaiming' | 'orthogonal';
export const INIT_TYPES: readonly InitType[] = ['normal', 'xavier', 'kaiming', 'orthogonal'];

/** torch.nn.init._calculate_fan_in_and_fan_out: dim 1 is "in" even for a transposed conv's weight. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new GraphError(`fan in/out need a weight of rank >= 2, got [${shape}]`);
  const rf = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * rf, fanOut: shape[0] * rf };
}

export function initWeights(
  net: Module,
  initType: InitType = 'normal',
  initGain = 0.02,
  rng = new Rng(0),
): void {
  if (!INIT_TYPES.includes(initType))
    throw new GraphError(`initialization method [${String(initType)}] is not implemented`);
  for (const m of net.modules()) {
    if (m instanceof Conv2d || m instanceof ConvTranspose2d) {
      initWeight(m.weight, initType, initGain, rng);
      m.bias?.f32.fill(0);
    } else if (m instanceof BatchNorm2d) {
      rng.fillNormal(m.weight.f32, 1, initGain);
      m.bias.f32.fill(0);
    }
  }
}

function initWeight(w: Parameter, initType: InitType, gain: number, rng: Rng): void {
  const { fanIn, fanOut } = fans(w.shape);
  switch (initType) {
    case 'normal':
      rng.fillNormal(w.f32, 0, gain);
      return;
    case 'xavier':
      rng.fillNormal(w.f32, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
      return;
    case 'kaiming':
      // kaiming_normal_(a=0, mode='fan_in'), leaky_relu gain with a = 0 is √2.
      rng.fillNormal(w.f32, 0, Math.SQRT2 / Math.sqrt(fanIn));
      return;
    case 'orthogonal':
      orthogonal(w.f32, w.shape[0], w.f32.length / w.shape[0], gain, rng);
      return;
  }
}

/**
 * torch.nn.init.orthogonal_: the Q of a Gaussian matrix's QR, signs fixed so diag(R) > 0
 * (Gram-Schmidt gives that form directly), on the flattened rows x cols weight, transposed
 * when there are fewer rows than columns. Scaled by gain.
 */
export function orthogonal(out: Float32Array, rows: number, cols: number, gain: number, rng: Rng): void {
  const tall = rows >= cols;
  const m = tall ? rows : cols; // length of each vector to orthonormalise
  const n = tall ? cols : rows; // how many vectors
  const q = new Float64Array(m * n); // vector j at [j*m, (j+1)*m)
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let j = 0; j < n; j++) {
    const vj = q.subarray(j * m, (j + 1) * m);
    // Two passes of modified Gram-Schmidt keep the columns orthogonal to float64 precision.
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const vk = q.subarray(k * m, (k + 1) * m);
        let d = 0;
        for (let i = 0; i < m; i++) d += vk[i] * vj[i];
        for (let i = 0; i < m; i++) vj[i] -= d * vk[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += vj[i] * vj[i];
    norm = Math.sqrt(norm);
    if (norm === 0) throw new GraphError('orthogonal init: degenerate random matrix');
    for (let i = 0; i < m; i++) vj[i] /= norm;
  }
  // The weight is rows x cols; tall: column j of Q is vector j; wide: row j is vector j.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[c * m + r] : q[r * m + c]);
  }
}
