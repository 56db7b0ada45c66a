/**
 * Adam's update in WebAssembly SIMD (four float32 lanes), for networks whose Adam step would
 * otherwise be a long single-threaded JavaScript loop (pix2pix's G: 54M parameters, ~0.37 s a
 * step in JS, about a quarter of a training step).
 *
 * The module is a few hundred bytes assembled below from its instructions, so there is no
 * toolchain and no binary file in the repository. The moments live in the module's memory for
 * the optimizer's lifetime (their Float32Array views are the Adam state the checkpoints read);
 * parameters and gradients stay where ORT and the networks keep them and pass through a small
 * scratch area in cache-sized chunks.
 *
 * Arithmetic is float32 in torch.optim.Adam's order of operations (1.13, CPU, single-tensor
 * path: mul_ then add_ / addcmul_ / addcdiv_):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + ((1−β2)·g)·g;  x ← x − (stepSize·m) / (√v / √bc2 + ε).
 * PyTorch's AVX2 kernels fuse the two additions of m and v with the product before them (one
 * rounding instead of two); baseline WebAssembly has no fused multiply-add, so v can differ
 * from PyTorch's by an ulp (measured: 244 of 1027 values after 4 steps, at most 1.3e-7
 * relative; x at most 1e-7 relative, m equal with the GANs' β1 = 0.5, where both of its
 * products are exact).
 */

// ---------------------------------------------------------------------------------------------
// A minimal WebAssembly encoder: just what the one function needs.

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  // i32.const takes a signed LEB128, the same bytes as the unsigned one below 64.
  i32Const: (n: number) => {
    if (!Number.isInteger(n) || n < 0 || n >= 64)
      throw new RangeError(`i32.const ${n}: only 0..63 encoded here`);
    return [0x41, ...uleb(n)];
  },
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32Sub: [0x6b],
  i32And: [0x71],
  i32GeU: [0x4f],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f32Sqrt: [0x91],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32Div: [0x95],
  // SIMD: prefix 0xfd, then the opcode as a LEB128 u32.
  v128Load: [0xfd, ...uleb(0x00), 0, 0],
  v128Store: [0xfd, ...uleb(0x0b), 0, 0],
  f32x4Splat: [0xfd, ...uleb(0x13)],
  f32x4Sqrt: [0xfd, ...uleb(0xe3)],
  f32x4Add: [0xfd, ...uleb(0xe4)],
  f32x4Sub: [0xfd, ...uleb(0xe5)],
  f32x4Mul: [0xfd, ...uleb(0xe6)],
  f32x4Div: [0xfd, ...uleb(0xe7)],
};

/**
 * adam(x, g, m, v: byte addresses, n: count, β1, 1−β1, β2, 1−β2, stepSize, √bc2, ε: f32).
 * Four lanes at a time, then the last n mod 4 one by one with the same operations.
 */
function adamModule(): Uint8Array<ArrayBuffer> {
  // Parameters 0-11, then locals.
  const [X, G, M, V, N, B1, C1, B2, C2, SS, BC2, EPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [I, END] = [12, 13];
  const [vB1, vC1, vB2, vC2, vSS, vBC2, vEPS, vG, vM, vV] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
  const [sG, sM, sV] = [24, 25, 26];

  const addr = (base: number) => [...op.get(base), ...op.get(I), ...op.i32Add];
  // One update at byte offset I: four lanes or one element, by the instructions given.
  const update = (k: {
    load: number[];
    store: number[];
    add: number[];
    sub: number[];
    mul: number[];
    div: number[];
    sqrt: number[];
    c: { b1: number; c1: number; b2: number; c2: number; ss: number; bc2: number; eps: number };
    r: { g: number; m: number; v: number };
  }): number[] =>
    // prettier-ignore
    [
    ...addr(G), ...k.load, ...op.set(k.r.g),
    // m ← β1·m + (1−β1)·g
    ...addr(M),
    ...addr(M), ...k.load, ...op.get(k.c.b1), ...k.mul,
    ...op.get(k.r.g), ...op.get(k.c.c1), ...k.mul, ...k.add,
    ...op.tee(k.r.m), ...k.store,
    // v ← β2·v + ((1−β2)·g)·g
    ...addr(V),
    ...addr(V), ...k.load, ...op.get(k.c.b2), ...k.mul,
    ...op.get(k.c.c2), ...op.get(k.r.g), ...k.mul, ...op.get(k.r.g), ...k.mul, ...k.add,
    ...op.tee(k.r.v), ...k.store,
    // x ← x − (stepSize·m) / (√v / √bc2 + ε)
    ...addr(X),
    ...addr(X), ...k.load,
    ...op.get(k.c.ss), ...op.get(k.r.m), ...k.mul,
    ...op.get(k.r.v), ...k.sqrt, ...op.get(k.c.bc2), ...k.div, ...op.get(k.c.eps), ...k.add, ...k.div,
    ...k.sub,
    ...k.store,
  ];
  // prettier-ignore
  const loopTo = (limit: number, step: number, body: number[]): number[] => [
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(limit), ...op.i32GeU, ...op.brIf(1),
    ...body,
    ...op.get(I), ...op.i32Const(step), ...op.i32Add, ...op.set(I),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  const splat = (from: number, to: number) => [...op.get(from), ...op.f32x4Splat, ...op.set(to)];

  // prettier-ignore
  const body = [
    ...splat(B1, vB1), ...splat(C1, vC1), ...splat(B2, vB2), ...splat(C2, vC2),
    ...splat(SS, vSS), ...splat(BC2, vBC2), ...splat(EPS, vEPS),
    // END = (n & ~3) * 4 bytes: the vector part; then the tail up to n * 4.
    ...op.get(N), ...op.get(N), ...op.i32Const(3), ...op.i32And, ...op.i32Sub,
    ...op.i32Const(2), ...op.i32Shl, ...op.set(END),
    ...loopTo(END, 16, update({
      load: op.v128Load, store: op.v128Store,
      add: op.f32x4Add, sub: op.f32x4Sub, mul: op.f32x4Mul, div: op.f32x4Div, sqrt: op.f32x4Sqrt,
      c: { b1: vB1, c1: vC1, b2: vB2, c2: vC2, ss: vSS, bc2: vBC2, eps: vEPS },
      r: { g: vG, m: vM, v: vV },
    })),
    ...op.get(N), ...op.i32Const(2), ...op.i32Shl, ...op.set(END),
    ...loopTo(END, 4, update({
      load: op.f32Load, store: op.f32Store,
      add: op.f32Add, sub: op.f32Sub, mul: op.f32Mul, div: op.f32Div, sqrt: op.f32Sqrt,
      c: { b1: B1, c1: C1, b2: B2, c2: C2, ss: SS, bc2: BC2, eps: EPS },
      r: { g: sG, m: sM, v: sV },
    })),
  ];
  const locals = vec([
    [...uleb(2), I32],
    [...uleb(10), V128],
    [...uleb(3), F32],
  ]);
  const code = [...locals, ...body, ...op.end];

  // prettier-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32].map((t) => [t])), 0]])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, 0x00, ...uleb(1)]])),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...str('adam'), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

// ---------------------------------------------------------------------------------------------

type AdamFn = (
  x: number,
  g: number,
  m: number,
  v: number,
  n: number,
  b1: number,
  c1: number,
  b2: number,
  c2: number,
  ss: number,
  bc2: number,
  eps: number,
) => void;

/** Elements per chunk: parameters and gradients of one chunk stay in L2 (2 x 64 KB). */
const CHUNK = 16384;
const PAGE = 65536;
/** wasm32 addresses 4 GiB; leave room for the scratch area. */
const MAX_BYTES = 2 ** 32 - PAGE * 16;

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(adamModule());
    } catch {
      compiled = null; // no SIMD in this runtime: the JavaScript loop serves
    }
  }
  return compiled;
}

export interface AdamConstants {
  beta1: number;
  beta2: number;
  stepSize: number;
  bc2: number;
  eps: number;
}

/** Adam moments in WebAssembly memory and the SIMD update over them. */
export class SimdAdamState {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private readonly fn: AdamFn;
  private readonly xs: Float32Array;
  private readonly gs: Float32Array;

  private constructor(size: number, mod: WebAssembly.Module) {
    const align = (b: number): number => Math.ceil(b / 16) * 16;
    const vOff = align(size * 4);
    const sOff = vOff + align(size * 4);
    const bytes = sOff + CHUNK * 8;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    this.fn = inst.exports.adam as AdamFn;
    // The memory never grows, so these views stay valid.
    this.m = new Float32Array(memory.buffer, 0, size);
    this.v = new Float32Array(memory.buffer, vOff, size);
    this.xs = new Float32Array(memory.buffer, sOff, CHUNK);
    this.gs = new Float32Array(memory.buffer, sOff + CHUNK * 4, CHUNK);
  }

  /** The SIMD state for `size` parameters, or null where WebAssembly SIMD is not available. */
  static create(size: number): SimdAdamState | null {
    const mod = module();
    if (!mod || size * 8 + CHUNK * 8 + PAGE > MAX_BYTES) return null;
    try {
      return new SimdAdamState(size, mod);
    } catch {
      // Each memory reserves ~10 GB of address space: under a ulimit -v it may be refused.
      return null;
    }
  }

  /** Updates x (elements offset .. offset + x.length of the state) from g. */
  update(x: Float32Array, g: Float32Array, offset: number, k: AdamConstants): void {
    const { xs, gs } = this;
    // Passed as f32 parameters: WebAssembly rounds them as PyTorch casts its scalars.
    const c1 = 1 - k.beta1;
    const c2 = 1 - k.beta2;
    for (let c = 0; c < x.length; c += CHUNK) {
      const n = Math.min(CHUNK, x.length - c);
      xs.set(x.subarray(c, c + n));
      gs.set(g.subarray(c, c + n));
      const j = offset + c;
      this.fn(
        xs.byteOffset,
        gs.byteOffset,
        this.m.byteOffset + j * 4,
        this.v.byteOffset + j * 4,
        n,
        k.beta1,
        c1,
        k.beta2,
        c2,
        k.stepSize,
        k.bc2,
        k.eps,
      );
      x.set(n === CHUNK ? xs : xs.subarray(0, n), c);
    }
  }
}
