/**
 * Normalisation over a set of axes: y = (x - mean) / sqrt(var + eps), with biased
 * variance as PyTorch uses for the forward pass. One op covers InstanceNorm (axes 2,3)
 * and BatchNorm in training (axes 0,2,3); its gradient is the closed form
 *   dx = rstd * (gy - mean(gy) - y * mean(gy * y)),
 * which needs two reductions instead of differentiating through mean and variance.
 * The mean and variance outputs have gradients too (for losses on feature statistics).
 */
import { GraphError, type OpDef, type Tensor } from '../graph.js';
import { add, div, mul, sqrt, sub, rdiv } from './elementwise.js';
import { reduceMean } from './reduce.js';
import { expand } from './shape.js';

interface NormAttrs {
  axes: number[];
  eps: number;
}

const NormalizeOp: OpDef<NormAttrs> = {
  type: 'Normalize',
  infer: ([x], a) => {
    if (x.dtype !== 'float32') throw new GraphError(`Normalize: expects float32, got ${x.dtype}`);
    for (const ax of a.axes) if (ax < 0 || ax >= x.rank) throw new GraphError(`Normalize: axis ${ax} out of range for ${x}`);
    const stat = x.shape.map((d, i) => (a.axes.includes(i) ? 1 : d));
    return [
      { shape: x.shape, dtype: 'float32' },
      { shape: stat, dtype: 'float32' },
      { shape: stat, dtype: 'float32' },
    ];
  },
  lower: (n, e) => {
    const x = e.name(n.inputs[0]);
    const [y, meanOut, varOut] = n.outputs.map(e.name);
    const axes = e.constI64(n.attrs.axes);
    const mean = meanOut || e.tmp();
    const v = varOut || e.tmp();
    const d = e.tmp();
    const d2 = e.tmp();
    const ve = e.tmp();
    const sd = e.tmp();
    e.node('ReduceMean', [x, axes], [mean], { keepdims: { i: 1 } });
    e.node('Sub', [x, mean], [d]);
    e.node('Mul', [d, d], [d2]);
    e.node('ReduceMean', [d2, axes], [v], { keepdims: { i: 1 } });
    e.node('Add', [v, e.constF32([n.attrs.eps], [])], [ve]);
    e.node('Sqrt', [ve], [sd]);
    e.node('Div', [d, sd], [y]);
  },
  vjp: (n, [gy, gm, gv]) => {
    const x = n.inputs[0];
    const [y, , v] = n.outputs;
    const axes = n.attrs.axes;
    const count = axes.reduce((p, a) => p * x.shape[a], 1);
    const terms: Tensor[] = [];
    if (gy) {
      const rstd = rdiv(1, sqrt(add(v, n.attrs.eps)));
      terms.push(mul(sub(sub(gy, reduceMean(gy, axes, true)), mul(y, reduceMean(mul(gy, y), axes, true))), rstd));
    }
    // d mean/dx = 1/N and d var/dx = 2 (x - mean) / N, with x - mean = y * sqrt(var + eps).
    if (gm) terms.push(expand(div(gm, count), x.shape));
    if (gv) terms.push(mul(y, mul(mul(gv, sqrt(add(v, n.attrs.eps))), 2 / count)));
    return [terms.reduce((a, b) => add(a, b))];
  },
};

export interface Moments {
  /** The normalised input. */
  y: Tensor;
  /** Mean and biased variance over the axes, kept as size-1 axes. */
  mean: Tensor;
  variance: Tensor;
}

export function normalize(x: Tensor, axes: readonly number[], eps = 1e-5): Moments {
  const ax = axes.map((a) => (a < 0 ? a + x.rank : a)).sort((a, b) => a - b);
  if (new Set(ax).size !== ax.length) throw new GraphError(`Normalize: repeated axis in [${axes}] for ${x}`);
  const [y, mean, variance] = x.graph.apply(NormalizeOp, [x], { axes: ax, eps });
  return { y, mean, variance };
}
