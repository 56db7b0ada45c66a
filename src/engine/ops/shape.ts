/** Ops that move data without arithmetic: Reshape, Transpose, Expand, Slice, Concat, Pad. */
import { GraphError, fmtShape, sizeOf, type OpDef, type OpsApi, type Shape, type Tensor } from '../graph.js';
import { int, ints, str } from '../onnx.js';

const ReshapeOp: OpDef<number[]> = {
  type: 'Reshape',
  infer: ([x], shape) => {
    if (sizeOf(shape) !== x.size) {
      throw new GraphError(`Reshape: cannot reshape ${x} (${x.size} values) to ${fmtShape(shape)}`);
    }
    return [{ shape, dtype: x.dtype }];
  },
  lower: (n, e) => e.node('Reshape', [e.name(n.inputs[0]), e.constI64(n.attrs)], [e.name(n.outputs[0])]),
  vjp: (n, [g]) => [reshape(g!, n.inputs[0].shape)],
};

/** Reshape; one dimension may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const infer = s.indexOf(-1);
  if (infer >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== infer));
    if (rest === 0 || x.size % rest !== 0) throw new GraphError(`Reshape: cannot reshape ${x} to ${fmtShape(shape)}`);
    s[infer] = x.size / rest;
  }
  if (s.length === x.rank && s.every((d, i) => d === x.shape[i])) return x;
  return x.graph.apply(ReshapeOp, [x], s)[0];
}

const TransposeOp: OpDef<number[]> = {
  type: 'Transpose',
  infer: ([x], perm) => {
    const ok = perm.length === x.rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!ok) throw new GraphError(`Transpose: permutation [${perm}] does not fit ${x}`);
    return [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }];
  },
  lower: (n, e) => e.node('Transpose', [e.name(n.inputs[0])], [e.name(n.outputs[0])], { perm: ints(n.attrs) }),
  vjp: (n, [g]) => {
    const inv: number[] = [];
    n.attrs.forEach((p, i) => (inv[p] = i));
    return [transpose(g!, inv)];
  },
};
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.every((p, i) => p === i) && perm.length === x.rank) return x;
  return x.graph.apply(TransposeOp, [x], [...perm])[0];
}
/** Swaps the last two axes (matrix transpose of a batch). */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

const ExpandOp: OpDef<number[]> = {
  type: 'Expand',
  infer: ([x], shape) => {
    const lead = shape.length - x.rank;
    const ok = lead >= 0 && x.shape.every((d, i) => d === 1 || d === shape[lead + i]);
    if (!ok) throw new GraphError(`Expand: cannot broadcast ${x} to ${fmtShape(shape)}`);
    return [{ shape, dtype: x.dtype }];
  },
  lower: (n, e) => e.node('Expand', [e.name(n.inputs[0]), e.constI64(n.attrs)], [e.name(n.outputs[0])]),
  vjp: (n, [g], _needs, F) => [F.sumToShape(g!, n.inputs[0].shape)],
};
export function expand(x: Tensor, shape: Shape): Tensor {
  if (shape.length === x.rank && shape.every((d, i) => d === x.shape[i])) return x;
  return x.graph.apply(ExpandOp, [x], [...shape])[0];
}

/** One axis of a slice after normalisation: element k of the result is x[start + k*step]. */
interface SliceAxis {
  axis: number;
  start: number;
  count: number;
  step: number;
}

const SliceOp: OpDef<SliceAxis[]> = {
  type: 'Slice',
  infer: ([x], axes) => {
    const shape = [...x.shape];
    for (const a of axes) shape[a.axis] = a.count;
    return [{ shape, dtype: x.dtype }];
  },
  lower: (n, e) => {
    const a = n.attrs;
    // ONNX end is exclusive; for a negative step ending before index 0 it must be below -dim.
    const ends = a.map((s) => {
      const last = s.start + (s.count - 1) * s.step;
      const end = last + Math.sign(s.step);
      return end < 0 ? -(n.inputs[0].shape[s.axis] + 1) : end;
    });
    e.node(
      'Slice',
      [
        e.name(n.inputs[0]),
        e.constI64(a.map((s) => s.start)),
        e.constI64(ends),
        e.constI64(a.map((s) => s.axis)),
        e.constI64(a.map((s) => s.step)),
      ],
      [e.name(n.outputs[0])],
    );
  },
  vjp: (n, [g]) => {
    const x = n.inputs[0];
    if (n.attrs.some((s) => s.count === 0)) return [expand(x.graph.scalar(0), x.shape)];
    let gx = g!;
    const begins = x.shape.map(() => 0);
    const ends = x.shape.map(() => 0);
    for (const s of n.attrs) {
      const k = Math.abs(s.step);
      const lo = s.step > 0 ? s.start : s.start + (s.count - 1) * s.step;
      if (s.step < 0) gx = slice(gx, [{ axis: s.axis, start: null, end: null, step: -1 }]);
      if (k > 1) gx = interleaveZeros(gx, s.axis, k);
      // After interleaving the axis holds count*k values; a negative end pad crops the k-1 trailing zeros.
      begins[s.axis] = lo;
      ends[s.axis] = x.shape[s.axis] - lo - s.count * (k > 1 ? k : 1);
    }
    return [pad(gx, [...begins, ...ends], 'constant')];
  },
};

/** Puts k-1 zeros after every element along `axis` (the adjoint of taking every k-th element). */
function interleaveZeros(t: Tensor, axis: number, k: number): Tensor {
  const split = [...t.shape.slice(0, axis + 1), 1, ...t.shape.slice(axis + 1)];
  const p = new Array<number>(2 * split.length).fill(0);
  p[split.length + axis + 1] = k - 1;
  const merged = [...t.shape];
  merged[axis] *= k;
  return reshape(pad(reshape(t, split), p, 'constant'), merged);
}

export interface SliceSpec {
  axis: number;
  /** Python-style: negative counts from the end; null means the natural bound. */
  start?: number | null;
  end?: number | null;
  step?: number;
}

/** Python slicing semantics (x[start:end:step] along each listed axis). */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  const axes: SliceAxis[] = specs.map((sp) => {
    const axis = sp.axis < 0 ? sp.axis + x.rank : sp.axis;
    if (axis < 0 || axis >= x.rank) throw new GraphError(`Slice: axis ${sp.axis} out of range for ${x}`);
    const dim = x.shape[axis];
    const step = sp.step ?? 1;
    if (step === 0 || !Number.isInteger(step)) throw new GraphError(`Slice: invalid step ${step}`);
    const norm = (v: number | null | undefined, dflt: number, lo: number, hi: number): number => {
      if (v === null || v === undefined) return dflt;
      const w = v < 0 ? v + dim : v;
      return Math.min(Math.max(w, lo), hi);
    };
    const start = step > 0 ? norm(sp.start, 0, 0, dim) : norm(sp.start, dim - 1, -1, dim - 1);
    const end = step > 0 ? norm(sp.end, dim, 0, dim) : norm(sp.end, -1, -1, dim - 1);
    const count = Math.max(0, Math.ceil((end - start) / step));
    return { axis, start, count, step };
  });
  return x.graph.apply(SliceOp, [x], axes)[0];
}

const ConcatOp: OpDef<number> = {
  type: 'Concat',
  infer: (xs, axis) => {
    if (xs.length === 0) throw new GraphError('Concat: no inputs');
    const first = xs[0];
    const shape = [...first.shape];
    shape[axis] = 0;
    for (const t of xs) {
      const ok = t.rank === first.rank && t.dtype === first.dtype && t.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!ok) throw new GraphError(`Concat: ${t} does not match ${first} outside axis ${axis}`);
      shape[axis] += t.shape[axis];
    }
    return [{ shape, dtype: first.dtype }];
  },
  lower: (n, e) => e.node('Concat', n.inputs.map(e.name), [e.name(n.outputs[0])], { axis: int(n.attrs) }),
  vjp: (n, [g], needs) => {
    let off = 0;
    return n.inputs.map((t, i) => {
      const start = off;
      off += t.shape[n.attrs];
      return needs[i] ? slice(g!, [{ axis: n.attrs, start, end: off }]) : null;
    });
  },
};
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new GraphError('Concat: no inputs');
  const ax = axis < 0 ? axis + xs[0].rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= xs[0].rank) throw new GraphError(`Concat: axis ${axis} out of range for ${xs[0]}`);
  if (xs.length === 1) return xs[0];
  return xs[0].graph.apply(ConcatOp, xs, ax)[0];
}

export type PadMode = 'constant' | 'reflect' | 'edge';
interface PadAttrs {
  pads: number[];
  mode: PadMode;
  value: number;
}

const PadOp: OpDef<PadAttrs> = {
  type: 'Pad',
  infer: ([x], a) => {
    const r = x.rank;
    if (a.pads.length !== 2 * r) throw new GraphError(`Pad: ${a.pads.length} pads for rank ${r} (need ${2 * r})`);
    const shape = x.shape.map((d, i) => d + a.pads[i] + a.pads[i + r]);
    for (let i = 0; i < r; i++) {
      // ORT crops (negative pads) first, then pads what is left.
      const kept = x.shape[i] + Math.min(a.pads[i], 0) + Math.min(a.pads[i + r], 0);
      if (kept < 0) throw new GraphError(`Pad: pads [${a.pads}] remove more than ${x} has`);
      if (a.mode === 'reflect' && (a.pads[i] >= kept || a.pads[i + r] >= kept)) {
        throw new GraphError(`Pad: reflect padding ${a.pads[i]}/${a.pads[i + r]} needs axis ${i} of ${x} to be larger`);
      }
      if (a.mode === 'edge' && kept === 0) throw new GraphError(`Pad: edge padding of an empty axis ${i} of ${x}`);
    }
    return [{ shape, dtype: x.dtype }];
  },
  lower: (n, e) => {
    const ins = [e.name(n.inputs[0]), e.constI64(n.attrs.pads)];
    if (n.attrs.mode === 'constant' && n.attrs.value !== 0) ins.push(e.constF32([n.attrs.value], []));
    e.node('Pad', ins, [e.name(n.outputs[0])], { mode: str(n.attrs.mode) });
  },
  vjp: (n, [g], _needs, F) => [padGrad(F, g!, n.inputs[0].shape, n.attrs)],
};

/**
 * Pads as ONNX Pad does: `pads` is [begin_0..begin_{r-1}, end_0..end_{r-1}];
 * negative values crop. 'reflect' mirrors without repeating the edge (PyTorch
 * ReflectionPad), 'edge' repeats it (ReplicationPad).
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  if (pads.every((p) => p === 0)) return x;
  return x.graph.apply(PadOp, [x], { pads: [...pads], mode, value })[0];
}

/** The adjoint of padding: crop the centre, then fold the border gradients back, one axis at a time. */
function padGrad(F: OpsApi, g: Tensor, inShape: Shape, a: PadAttrs): Tensor {
  const r = inShape.length;
  let cur = g;
  for (let ax = 0; ax < r; ax++) {
    const before = a.pads[ax];
    const after = a.pads[ax + r];
    if (before === 0 && after === 0) continue;
    const n = inShape[ax];
    const centre = slice(cur, [{ axis: ax, start: Math.max(before, 0), end: Math.max(before, 0) + n - Math.max(-before, 0) - Math.max(-after, 0) }]);
    // Negative pads cropped the input: the cropped part gets zero gradient.
    let acc = pad(centre, padAxis(r, ax, Math.max(-before, 0), Math.max(-after, 0)), 'constant');
    if (a.mode !== 'constant') {
      if (before > 0) {
        const head = slice(cur, [{ axis: ax, start: 0, end: before }]);
        acc = F.add(acc, foldBorder(F, head, ax, n, 'before', a.mode));
      }
      if (after > 0) {
        const tail = slice(cur, [{ axis: ax, start: before + n, end: before + n + after }]);
        acc = F.add(acc, foldBorder(F, tail, ax, n, 'after', a.mode));
      }
    }
    cur = acc;
  }
  return cur;
}

function padAxis(rank: number, axis: number, before: number, after: number): number[] {
  const p = new Array<number>(2 * rank).fill(0);
  p[axis] = before;
  p[axis + rank] = after;
  return p;
}

/** Where the padded border's gradient lands on an axis of length n. */
function foldBorder(F: OpsApi, border: Tensor, ax: number, n: number, side: 'before' | 'after', mode: PadMode): Tensor {
  const r = border.rank;
  const k = border.shape[ax];
  if (mode === 'edge') {
    const s = F.reduceSum(border, [ax], true);
    return side === 'before' ? pad(s, padAxis(r, ax, 0, n - 1)) : pad(s, padAxis(r, ax, n - 1, 0));
  }
  // reflect: border element j (from the outside in) came from input index k - j (before) or n - 2 - j (after).
  const flipped = slice(border, [{ axis: ax, start: null, end: null, step: -1 }]);
  return side === 'before' ? pad(flipped, padAxis(r, ax, 1, n - 1 - k)) : pad(flipped, padAxis(r, ax, n - 1 - k, 1));
}
