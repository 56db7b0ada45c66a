import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LrPolicy } from '../../src/gan/options.js';
import { LrScheduler, lrForEpoch, lrMessage, type ScheduleOptions } from '../../src/gan/schedule.js';
import { loadFixture } from '../helpers/fixtures.js';

interface Case {
  name: string;
  policy: LrPolicy;
  options: Omit<ScheduleOptions, 'lr_policy'>;
  epochs: number[];
  lrs: number[];
  metrics: number[] | null;
}

const cases = loadFixture('gan/schedule').meta.cases as unknown as Case[];

test('every policy gives torch 1.13’s rates, epoch by epoch (fixture)', () => {
  assert.equal(cases.length, 9);
  for (const c of cases) {
    const s = new LrScheduler({ ...c.options, lr_policy: c.policy });
    c.epochs.forEach((e, i) => {
      s.step(c.metrics ? c.metrics[i] : 0);
      if (c.policy === 'cosine') {
        // V8's Math.cos is not always correctly rounded (glibc's is): a last-bit difference
        // in one cosine carries through the recursive form.
        const tol = 1e-13 * Math.abs(c.lrs[i]) + 1e-20;
        assert.ok(Math.abs(s.lr - c.lrs[i]) <= tol, `${c.name}: epoch ${e}: ${s.lr} vs ${c.lrs[i]}`);
      } else assert.equal(s.lr, c.lrs[i], `${c.name}: epoch ${e}`);
    });
  }
});

test('linear: hand-computed values of the reference’s lambda_rule', () => {
  const o: ScheduleOptions = {
    lr_policy: 'linear',
    lr: 0.0002,
    n_epochs: 100,
    n_epochs_decay: 100,
    epoch_count: 1,
    lr_decay_iters: 50,
  };
  // stepped at each epoch's start: epoch e trains with 1 - max(0, e + 1 - 100) / 101
  assert.equal(lrForEpoch(o, 1), 0.0002);
  assert.equal(lrForEpoch(o, 98), 0.0002);
  assert.equal(lrForEpoch(o, 99), 0.0002 * (1 - 0 / 101));
  assert.equal(lrForEpoch(o, 100), 0.0002 * (1 - 1 / 101));
  assert.equal(lrForEpoch(o, 150), 0.0002 * (1 - 51 / 101));
  assert.equal(lrForEpoch(o, 200), 0);
  // starting later shifts the lambda: epoch_count 3, epoch e trains with lambda(e - 2) = 1 - max(0, e - 2 + 3 - 5) / 6
  const o2 = { ...o, n_epochs: 5, n_epochs_decay: 5, epoch_count: 3 };
  assert.equal(lrForEpoch(o2, 3), 0.0002);
  assert.equal(lrForEpoch(o2, 4), 0.0002);
  assert.equal(lrForEpoch(o2, 5), 0.0002 * (1 - 1 / 6));
  assert.equal(lrForEpoch(o2, 8), 0.0002 * (1 - 4 / 6));
  assert.equal(lrForEpoch(o2, 10), 0);
  // step: x0.1 every lr_decay_iters steps
  const st = { ...o, lr_policy: 'step' as const, lr_decay_iters: 3 };
  assert.equal(lrForEpoch(st, 2), 0.0002);
  assert.equal(lrForEpoch(st, 3), 0.0002 * 0.1);
  assert.equal(lrForEpoch(st, 6), 0.0002 * 0.1 * 0.1);
  assert.equal(
    lrMessage({ old: 0.0002, lr: 0.0002 * (1 - 1 / 101) }),
    'learning rate 0.0002000 -> 0.0001980',
  );
});

test('state round trip continues the schedule exactly', () => {
  for (const policy of ['linear', 'step', 'plateau', 'cosine'] as const) {
    const o: ScheduleOptions = {
      lr_policy: policy,
      lr: 0.001,
      n_epochs: 4,
      n_epochs_decay: 6,
      epoch_count: 1,
      lr_decay_iters: 2,
    };
    const a = new LrScheduler(o);
    for (let i = 0; i < 7; i++) a.step(1 / (i + 1));
    const saved = JSON.parse(JSON.stringify(a.state())) as ReturnType<LrScheduler['state']>;
    const b = new LrScheduler(o);
    b.setState(saved);
    for (let i = 7; i < 10; i++) assert.equal(b.step(0.5).lr, a.step(0.5).lr, `${policy} step ${i}`);
    assert.throws(() => new LrScheduler({ ...o, lr: 0.002 }).setState(saved), /starts from --lr 0.001/);
  }
});
