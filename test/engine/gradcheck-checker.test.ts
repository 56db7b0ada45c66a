/**
 * The checker itself must catch the bugs it is meant for: ops with deliberately wrong
 * VJPs (defined here, outside the engine) have to fail it, and their correct twins pass.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { F, type Tensor } from '../../src/engine/index.js';
import type { OpDef } from '../../src/engine/graph.js';
import { checkGradients, uniform, type Builder, type InputSpec } from '../helpers/gradcheck.js';

/** A unary op lowered as `onnxType`, with the given (possibly wrong) VJP. */
function unaryOp(
  onnxType: string,
  vjp: (x: Tensor, g: Tensor) => Tensor,
  attrs: Record<string, { ints: number[] } | { s: string }> = {},
  extra?: (x: Tensor) => readonly number[],
): OpDef<null> {
  return {
    type: `Test${onnxType}`,
    infer: ([x]) => [{ shape: extra ? extra(x) : x.shape, dtype: 'float32' }],
    lower: (n, e) => e.node(onnxType, [e.name(n.inputs[0])], [e.name(n.outputs[0])], attrs),
    vjp: (n, [g]) => [vjp(n.inputs[0], g!)],
  };
}

const apply = (op: OpDef<null>) => (x: Tensor) => x.graph.apply(op, [x], null)[0];

async function failures(build: Builder, specs: InputSpec[]): Promise<number> {
  return (await checkGradients(build, specs)).failures.length;
}

describe('gradcheck catches wrong gradients', () => {
  test('wrong sign', async () => {
    const good = apply(unaryOp('Neg', (_x, g) => F.neg(g)));
    const bad = apply(unaryOp('Neg', (_x, g) => g));
    assert.equal(await failures((_g, [x]) => good(x), [{ shape: [3, 4] }]), 0);
    assert.ok((await failures((_g, [x]) => bad(x), [{ shape: [3, 4] }])) > 0);
  });

  test('missing transpose (square matrix, so shapes still agree)', async () => {
    const tr = { perm: { ints: [1, 0] } };
    const good = apply(unaryOp('Transpose', (_x, g) => F.transpose(g, [1, 0]), tr));
    const bad = apply(unaryOp('Transpose', (_x, g) => g, tr));
    assert.equal(await failures((_g, [x]) => good(x), [{ shape: [4, 4] }]), 0);
    assert.ok((await failures((_g, [x]) => bad(x), [{ shape: [4, 4] }])) > 0);
  });

  test('a reflect-pad border folded one place off (onto the edge instead of its mirror)', async () => {
    // Reflect-pad the last axis by 1 on the left: out[0] = x[1], out[1..] = x.
    const attrs = { mode: { s: 'reflect' } };
    const padded = (x: Tensor) => [...x.shape.slice(0, -1), x.shape[x.rank - 1] + 1];
    const lowerPad: OpDef<null>['lower'] = (n, e) =>
      e.node('Pad', [e.name(n.inputs[0]), e.constI64([0, 1, 0, 0])], [e.name(n.outputs[0])], attrs);
    const fold = (target: number) => (x: Tensor, g: Tensor) => {
      const w = x.shape[1];
      const centre = F.slice(g, [{ axis: 1, start: 1, end: null }]);
      const head = F.slice(g, [{ axis: 1, start: 0, end: 1 }]);
      return F.add(centre, F.pad(head, [0, target, 0, w - 1 - target]));
    };
    const good = apply({ ...unaryOp('Pad', fold(1), attrs, padded), lower: lowerPad });
    const bad = apply({ ...unaryOp('Pad', fold(0), attrs, padded), lower: lowerPad });
    assert.equal(await failures((_g, [x]) => good(x), [{ shape: [3, 5] }]), 0);
    assert.ok((await failures((_g, [x]) => bad(x), [{ shape: [3, 5] }])) > 0);
  });

  test('a gradient 3% too large', async () => {
    const good = apply(unaryOp('Exp', (x, g) => F.mul(g, F.exp(x))));
    const bad = apply(unaryOp('Exp', (x, g) => F.mul(g, F.mul(F.exp(x), 1.03))));
    const data = uniform(12, 3, -1, 1);
    assert.equal(await failures((_g, [x]) => good(x), [{ shape: [3, 4], data }]), 0);
    assert.ok((await failures((_g, [x]) => bad(x), [{ shape: [3, 4], data }])) > 0);
  });

  test('a gradient that is zero everywhere', async () => {
    const bad = apply(unaryOp('Exp', (_x, g) => F.mul(g, 0)));
    assert.ok((await failures((_g, [x]) => bad(x), [{ shape: [3, 4] }])) > 0);
  });

  test('a wrong gradient in a large input (directional checks only)', async () => {
    const bad = apply(unaryOp('Neg', (_x, g) => F.mul(g, -0.9)));
    const rep = await checkGradients((_g, [x]) => bad(x), [{ shape: [40, 40] }], { elementwiseLimit: 0 });
    assert.ok(rep.failures.length > 0 && rep.failures.every((f) => f.element === -1));
  });
});
