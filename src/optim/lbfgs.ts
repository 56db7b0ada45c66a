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
  /**
   * Keep x within [lo, hi]: each step is clipped to the box (projected L-BFGS) and the history
   * stores the step actually taken. Without it, exactly torch.optim.LBFGS.
   */
  bounds?: [number, number];
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
/**
 * y += alpha·x, then returns z·y: one pass instead of two, as the two-loop recursion alternates
 * exactly these and is memory-bound at large sizes (docs/performance.md). Same float32 stores
 * and summation order as axpy then dot.
 */
function axpyDot(alpha: number, x: Float32Array, y: Float32Array, z: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    y[i] += alpha * x[i];
    s += z[i] * y[i];
  }
  return s;
}

// The loops live in small functions: inside the (async) optimiser they ran several times
// slower (docs/performance.md).
function negate(g: Float32Array): Float32Array {
  const q = new Float32Array(g.length);
  for (let i = 0; i < q.length; i++) q[i] = -g[i];
  return q;
}
/** y = g - prevG and s = t·d (or the step taken, when given), returning y·s and y·y. */
function differences(g: Float32Array, prevG: Float32Array, d: Float32Array, t: number, y: Float32Array, s: Float32Array, taken: Float32Array | null): [number, number] {
  let ys = 0;
  let yy = 0;
  for (let i = 0; i < y.length; i++) {
    y[i] = g[i] - prevG[i];
    s[i] = taken ? taken[i] : d[i] * t;
    ys += y[i] * s[i];
    yy += y[i] * y[i];
  }
  return [ys, yy];
}
/**
 * Zeroes the components of a direction that point out of the box where x sits on its face (in
 * place): those coordinates stay where they are (the active set of projected methods).
 */
function projectDirection(d: Float32Array, x: Float32Array, lo: number, hi: number): Float32Array {
  for (let i = 0; i < d.length; i++) {
    if ((x[i] <= lo && d[i] < 0) || (x[i] >= hi && d[i] > 0)) d[i] = 0;
  }
  return d;
}
/** x += t·d clipped to [lo, hi], writing the step taken to `taken`. */
function boundedStep(x: Float32Array, t: number, d: Float32Array, lo: number, hi: number, taken: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = Math.min(hi, Math.max(lo, x[i] + t * d[i]));
    taken[i] = v - x[i];
    x[i] = v;
  }
}
/** q *= h, returning z·q. */
function scaleDot(q: Float32Array, h: number, z: Float32Array | undefined): number {
  let s = 0;
  if (!z) {
    for (let i = 0; i < q.length; i++) q[i] *= h;
    return 0;
  }
  for (let i = 0; i < q.length; i++) {
    q[i] *= h;
    s += z[i] * q[i];
  }
  return s;
}
function sumAbs(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += Math.abs(g[i]);
  return s;
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

  // Curvature pairs come from the full gradients; with bounds only the directions are projected.
  const project = (v: Float32Array) => (opts.bounds ? projectDirection(v, x, opts.bounds[0], opts.bounds[1]) : v);
  let g = (await evaluate()).grad;
  const dirs: Float32Array[] = [];
  const steps: Float32Array[] = [];
  const ro: number[] = [];
  const al = new Float64Array(historySize);
  // The previous step's gradient and direction, null before the first step.
  let prevG: Float32Array | null = null;
  let d: Float32Array | null = null;
  // Vectors to overwrite: a rejected (y, s) pair, or the oldest one a full history dropped.
  const spare: Float32Array[] = [];
  let t = lr;
  let hDiag = 1;
  const taken = opts.bounds ? new Float32Array(x.length) : null;

  for (let iter = 1; iter <= maxIter; iter++) {
    if (opts.signal?.aborted) break;
    if (prevG && d) {
      const y = spare.pop() ?? new Float32Array(g.length);
      const s = spare.pop() ?? new Float32Array(g.length);
      const [ys, yy] = differences(g, prevG, d, t, y, s, taken);
      if (ys > 1e-10) {
        if (dirs.length === historySize) {
          spare.push(dirs.shift()!, steps.shift()!);
          ro.shift();
        }
        dirs.push(y);
        steps.push(s);
        ro.push(1 / ys);
        hDiag = ys / yy;
      } else {
        spare.push(y, s);
      }
    }
    // −g through the two-loop recursion; with no history yet (first step) that leaves −g
    // exactly, as hDiag is still 1.
    const q = project(negate(g));
    const m = dirs.length;
    // Each dot product is fused into the preceding update of q.
    let sq = m > 0 ? dot(steps[m - 1], q) : 0;
    for (let i = m - 1; i >= 0; i--) {
      al[i] = sq * ro[i];
      if (i > 0) sq = axpyDot(-al[i], dirs[i], q, steps[i - 1]);
      else axpy(-al[i], dirs[i], q);
    }
    let yq = scaleDot(q, hDiag, dirs[0]);
    for (let i = 0; i < m; i++) {
      const be = yq * ro[i];
      if (i + 1 < m) yq = axpyDot(al[i] - be, steps[i], q, dirs[i + 1]);
      else axpy(al[i] - be, steps[i], q);
    }
    d = project(q);
    if (opts.bounds && !(dot(g, d) < 0) && m > 0) {
      // The box cut the quasi-Newton direction down to no descent: start the model afresh
      // from the projected steepest descent.
      spare.push(...dirs.splice(0), ...steps.splice(0));
      ro.length = 0;
      hDiag = 1;
      d = project(negate(g));
    }
    prevG = g;
    t = iter === 1 ? Math.min(1, 1 / sumAbs(g)) * lr : lr;
    if (dot(g, d) > 1) break; // not a descent direction (PyTorch: gtd > -tolerance_change)
    if (opts.bounds && !(dot(g, d) < 0)) break; // every descent leaves the box: a constrained minimum
    if (opts.bounds && taken) boundedStep(x, t, d, opts.bounds[0], opts.bounds[1], taken);
    else axpy(t, d, x);
    if (iter === maxIter) break;
    g = (await evaluate()).grad;
    if (evals >= maxIter) break;
  }
  return evals;
}
