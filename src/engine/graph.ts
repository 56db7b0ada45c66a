/**
 * Symbolic tensors with static shapes. A Graph owns every tensor and node built
 * from it; nothing is computed here. Ops (src/engine/ops) create nodes through
 * `apply`, which checks shapes at build time so that a mistake is reported with
 * the op's name instead of surfacing later as an ONNX Runtime error.
 */
import type { Emitter } from './onnx.js';
import type * as Ops from './ops/index.js';
import { defaultPolicy, type LoweringPolicy } from './policy.js';

export type DType = 'float32' | 'int64' | 'bool';
export type Shape = readonly number[];
export type TensorData = Float32Array | BigInt64Array | Uint8Array;

/** Thrown when a graph is built with shapes, dtypes or options an op cannot take. */
export class GraphError extends Error {
  override name = 'GraphError';
}

export type Source =
  | { kind: 'input' }
  | { kind: 'constant'; data: TensorData }
  | { kind: 'node'; node: Node; index: number };

export class Tensor {
  /** Label for error messages and ONNX value names; inputs keep theirs verbatim. */
  name: string;
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly source: Source,
    name: string,
  ) {
    this.name = name;
  }
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  toString(): string {
    return `${this.name}${fmtShape(this.shape)}`;
  }
}

export interface OutSpec {
  shape: Shape;
  dtype: DType;
}

/** The engine's ops (F), as autodiff hands them to the gradient rules. */
export type OpsApi = typeof Ops;

/**
 * Given the gradients of a node's outputs, returns the gradients of its inputs. The rule is
 * written with the ops `F` that autodiff passes in, so an op's module does not import the
 * modules its gradient needs (which would import it back).
 */
export type Vjp<A> = (
  node: NodeOf<A>,
  grads: readonly (Tensor | null)[],
  needs: readonly boolean[],
  F: OpsApi,
) => (Tensor | null)[];

/**
 * One op: its shape rule, its ONNX lowering and its vector-Jacobian product,
 * kept together so that the three cannot drift apart.
 */
export interface OpDef<A> {
  readonly type: string;
  infer(inputs: readonly Tensor[], attrs: A): OutSpec[];
  lower(node: NodeOf<A>, e: Emitter): void;
  /** Absent for ops that are not differentiable (comparisons, index outputs). */
  vjp?: Vjp<A>;
}

export interface NodeOf<A> {
  readonly id: number;
  readonly type: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
  readonly label: string;
}

/** A node with its op erased, as the graph stores it. */
export interface Node extends NodeOf<unknown> {
  lower(e: Emitter): void;
  readonly differentiable: boolean;
  vjp(grads: readonly (Tensor | null)[], needs: readonly boolean[], F: OpsApi): (Tensor | null)[];
}

/**
 * A rewrite of the nodes one op type would build: given the inputs and attributes, the tensors
 * to use instead, or null to build the node as asked. Lowerings register these on a graph
 * (lowering/blocked_layout.ts keeps ops in the Winograd convolutions' blocked layout).
 */
export type Rewrite = (inputs: readonly Tensor[], attrs: unknown) => Tensor[] | null;

export interface GraphOptions {
  /** Which lowerings the ops choose (policy.ts); `defaultPolicy` when left out. */
  policy?: LoweringPolicy;
}

export class Graph {
  private nextId = 0;
  private scopes: string[] = [];
  readonly inputs = new Map<string, Tensor>();
  private scalars = new Map<string, Tensor>();
  /** Read by the ops when they choose a lowering; fixed for the graph's life. */
  readonly policy: LoweringPolicy;
  private rewrites = new Map<string, Rewrite[]>();

  constructor(opts: GraphOptions = {}) {
    this.policy = opts.policy ?? defaultPolicy;
  }

  /** A value fed at run time. */
  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    checkShape(shape, `input '${name}'`);
    if (this.inputs.has(name)) throw new GraphError(`input '${name}' is declared twice`);
    const t = new Tensor(this, this.nextId++, [...shape], dtype, { kind: 'input' }, name);
    this.inputs.set(name, t);
    return t;
  }

  /** A frozen value stored in the model (an ONNX initializer, which ORT can pre-pack). */
  constant(data: TensorData, shape: Shape, name?: string): Tensor {
    checkShape(shape, `constant '${name ?? ''}'`);
    if (data.length !== sizeOf(shape)) {
      throw new GraphError(
        `constant '${name ?? ''}': ${data.length} values do not fill shape ${fmtShape(shape)}`,
      );
    }
    const dtype: DType =
      data instanceof Float32Array ? 'float32' : data instanceof BigInt64Array ? 'int64' : 'bool';
    const id = this.nextId++;
    return new Tensor(this, id, [...shape], dtype, { kind: 'constant', data }, name ?? `const${id}`);
  }

  /** A float32 scalar constant, shared by every use of the same value. */
  scalar(value: number): Tensor {
    const key = Object.is(value, -0) ? '-0' : String(value);
    let t = this.scalars.get(key);
    if (!t) {
      t = this.constant(new Float32Array([value]), [], `scalar_${key}`);
      this.scalars.set(key, t);
    }
    return t;
  }

  /** Labels every node built inside `fn` (as `a.b.c`), so errors and NaN checks can name a layer. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Registers a rewrite for nodes of `type` built from now on (once per function). */
  addRewrite(type: string, rewrite: Rewrite): void {
    const list = this.rewrites.get(type) ?? [];
    if (!list.includes(rewrite)) this.rewrites.set(type, [...list, rewrite]);
  }

  /** Creates a node (or what a registered rewrite puts in its place); used by the op modules, not by models. */
  apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor[] {
    for (const [i, t] of inputs.entries()) {
      if (t.graph !== this) throw new GraphError(`${op.type}: input ${i} belongs to another graph`);
    }
    const specs = op.infer(inputs, attrs);
    for (const rewrite of this.rewrites.get(op.type) ?? []) {
      const replaced = rewrite(inputs, attrs);
      if (replaced) return replaced;
    }
    const id = this.nextId++;
    const label = [...this.scopes, `${op.type}_${id}`].join('.');
    const outputs: Tensor[] = [];
    const node: Node = {
      id,
      type: op.type,
      inputs: [...inputs],
      outputs,
      attrs,
      label,
      differentiable: op.vjp !== undefined,
      lower: (e) => op.lower(node as NodeOf<A>, e),
      vjp: (grads, needs, F) => {
        if (!op.vjp) throw new GraphError(`${op.type} (${label}) is not differentiable`);
        return op.vjp(node as NodeOf<A>, grads, needs, F);
      },
    };
    specs.forEach((s, index) => {
      outputs.push(new Tensor(this, this.nextId++, s.shape, s.dtype, { kind: 'node', node, index }, `${label}:${index}`));
    });
    return outputs;
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GraphError(`${what}: invalid shape ${fmtShape(shape)}`);
  }
}

/** Every node the given tensors depend on, inputs before consumers. */
export function topoSort(outputs: readonly Tensor[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<number>();
  // Iterative DFS: VGG backward graphs are deep enough to overflow recursion.
  const stack: { node: Node; next: number }[] = [];
  const visit = (t: Tensor): void => {
    if (t.source.kind !== 'node' || seen.has(t.source.node.id)) return;
    seen.add(t.source.node.id);
    stack.push({ node: t.source.node, next: 0 });
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        const inp = top.node.inputs[top.next++];
        if (inp.source.kind === 'node' && !seen.has(inp.source.node.id)) {
          seen.add(inp.source.node.id);
          stack.push({ node: inp.source.node, next: 0 });
        }
      } else {
        order.push(top.node);
        stack.pop();
      }
    }
  };
  for (const t of outputs) visit(t);
  return order;
}

/**
 * Whether t is computed from a graph input; if not, from constants alone, which ORT folds when
 * the session is created. `memo` (tensor id -> answer) lets several queries share one walk.
 */
export function dependsOnInput(t: Tensor, memo = new Map<number, boolean>()): boolean {
  // Post-order over the DAG, each tensor decided once: walking every path instead (as a plain
  // stack would) is exponential in the number of residual blocks of a backward graph.
  const stack: { x: Tensor; expanded: boolean }[] = [{ x: t, expanded: false }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const src = top.x.source;
    if (memo.has(top.x.id)) stack.pop();
    else if (src.kind !== 'node') {
      memo.set(top.x.id, src.kind === 'input');
      stack.pop();
    } else if (!top.expanded) {
      top.expanded = true;
      for (const i of src.node.inputs) if (!memo.has(i.id)) stack.push({ x: i, expanded: false });
    } else {
      memo.set(top.x.id, src.node.inputs.some((i) => memo.get(i.id) === true));
      stack.pop();
    }
  }
  return memo.get(t.id) === true;
}
