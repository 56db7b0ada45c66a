/**
 * L-BFGS exactly as torch.optim.LBFGS without line search (lr, history_size,
 * max_iter = max_eval = evaluations), so equal budgets give comparable results.
 * History vectors are float32 like PyTorch's; dot products accumulate in float64.
 */
export type Objective = (x: Float32Array) => Promise<{ loss: number; grad: Float32Array }>;

export interface LbfgsOptions {
  evaluations: number;
  lr?: number;
  history?: number;
  signal?: AbortSignal;
  /** Called after every evaluation with the evaluation count and loss. */
  onEvaluation?: (count: number, loss: number, x: Float32Array) => void | Promise<void>;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/** Minimises f from x (updated in place); returns the number of evaluations done. */
export async function lbfgs(f: Objective, x: Float32Array, opts: LbfgsOptions): Promise<number> {
  const lr = opts.lr ?? 1;
  const historySize = opts.history ?? 100;
  const maxIter = opts.evaluations;
  let evals = 0;
  const evaluate = async (): Promise<{ loss: number; grad: Float32Array }> => {
    const r = await f(x);
    evals++;
    await opts.onEvaluation?.(evals, r.loss, x);
    return r;
  };

  let g = (await evaluate()).grad;
  const dirs: Float32Array[] = [];
  const steps: Float32Array[] = [];
  const ro: number[] = [];
  const al = new Float64Array(historySize);
  let d = new Float32Array(x.length);
  let prevG: Float32Array | null = null;
  let t = lr;
  let hDiag = 1;

  for (let iter = 1; iter <= maxIter; iter++) {
    if (opts.signal?.aborted) break;
    if (iter === 1) {
      for (let i = 0; i < d.length; i++) d[i] = -g[i];
    } else {
      const y = new Float32Array(g.length);
      const s = new Float32Array(g.length);
      for (let i = 0; i < y.length; i++) {
        y[i] = g[i] - prevG![i];
        s[i] = d[i] * t;
      }
      const ys = dot(y, s);
      if (ys > 1e-10) {
        if (dirs.length === historySize) {
          dirs.shift();
          steps.shift();
          ro.shift();
        }
        dirs.push(y);
        steps.push(s);
        ro.push(1 / ys);
        hDiag = ys / dot(y, y);
      }
      const q = Float32Array.from(g, (v) => -v);
      for (let i = dirs.length - 1; i >= 0; i--) {
        al[i] = dot(steps[i], q) * ro[i];
        axpy(-al[i], dirs[i], q);
      }
      for (let i = 0; i < q.length; i++) q[i] *= hDiag;
      for (let i = 0; i < dirs.length; i++) {
        const be = dot(dirs[i], q) * ro[i];
        axpy(al[i] - be, steps[i], q);
      }
      d = q;
    }
    prevG = g;
    if (iter === 1) {
      let s = 0;
      for (let i = 0; i < g.length; i++) s += Math.abs(g[i]);
      t = Math.min(1, 1 / s) * lr;
    } else {
      t = lr;
    }
    if (dot(g, d) > 1) break; // not a descent direction (PyTorch: gtd > -tolerance_change)
    axpy(t, d, x);
    if (iter === maxIter) break;
    g = (await evaluate()).grad;
    if (evals >= maxIter) break;
  }
  return evals;
}
