/**
 * The dashboard's progress and ETA from a loss log (src/studio/run_progress.ts). The first
 * case is the bug seen on a CycleGAN run: at epoch 34 of 400 the ETA said 19 s, because it
 * scaled the last line's own time (t_comp + t_data of one iteration) to the epochs left, which
 * leaves out whatever that iteration did not do (samples, plots, checkpoints, work between prints).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentSession, runProgress } from '../../src/studio/run_progress.js';
import { parsePoint, runStatus } from '../../src/studio/runs.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** A GAN log as LossLog writes it (print_freq 1, batch 1): `n` images per epoch, one line per image, `wall` seconds apart. */
function ganLog(o: { from: number; lines: number; n: number; wall: number; tComp: number; start: number }): Record<string, unknown>[] {
  const out = [];
  for (let i = 0; i < o.lines; i++) {
    const k = o.from + i; // images done in all, 1-based
    const epoch = Math.floor((k - 1) / o.n) + 1;
    const iters = k - (epoch - 1) * o.n;
    out.push({ epoch, iters, total_iters: k, progress: epoch + iters / o.n, t_comp: o.tComp, t_data: 0.001, lr: 0.0002, D_A: 0.3, G_A: 0.8, time: new Date(o.start + i * o.wall * 1000).toISOString() });
  }
  return out;
}

const points = (lines: Record<string, unknown>[]) => lines.map((l, i) => parsePoint(l, 'gan', i));

test('ETA from the wall-clock pace of the recent points, not the logged compute time (epoch 34 of 400)', () => {
  // 4 images per epoch, 0.01 s of compute each, but a line every 0.5 s: 2 s per epoch.
  const log = points(ganLog({ from: 1, lines: 34 * 4 - 2, n: 4, wall: 0.5, tComp: 0.01, start: T0 }));
  const p = runProgress(log, { lastEpoch: 400 })!;
  assert.equal(p.epoch, 34);
  assert.equal(p.unit, 'epoch');
  assert.ok(Math.abs(p.done - 33.5) < 1e-9, `done ${p.done}`);
  // (400 - 33.5) epochs at 2 s each.
  assert.ok(Math.abs(p.secondsLeft! - 733) < 1, `ETA ${p.secondsLeft}`);
  const computeOnly = (400 - 33.5) * 4 * 0.011;
  assert.ok(p.secondsLeft! > 10 * computeOnly, 'far from the compute-only estimate the page used to show');
  // The epoch shown and the progress come from the same point: done lies within that epoch.
  assert.ok(p.done > p.epoch! - 1 && p.done <= p.epoch!);
});

test('a resumed run: the ETA uses the pace since it resumed, not the whole-run average', () => {
  // 40 lines at 0.5 s, stopped for an hour, resumed on a busier machine at 2 s a line.
  const before = ganLog({ from: 1, lines: 40, n: 4, wall: 0.5, tComp: 0.01, start: T0 });
  const after = ganLog({ from: 41, lines: 20, n: 4, wall: 2, tComp: 0.01, start: T0 + 40 * 500 + 3600_000 });
  const log = points([...before, ...after]);
  assert.equal(currentSession(log).length, 20, 'the session starts at the resume');
  const p = runProgress(log, { lastEpoch: 100 })!;
  // 4 lines per epoch at 2 s: 8 s per epoch, 85 epochs left.
  assert.ok(Math.abs(p.secondsLeft! - 85 * 8) < 1, `ETA ${p.secondsLeft}`);
});

test('a run killed and resumed from an earlier checkpoint: the log steps back and the session starts there', () => {
  const first = ganLog({ from: 1, lines: 30, n: 4, wall: 1, tComp: 0.01, start: T0 });
  // Resumed at image 20 (the last checkpoint) a few seconds later, at 0.25 s a line.
  const second = ganLog({ from: 21, lines: 12, n: 4, wall: 0.25, tComp: 0.01, start: T0 + 32_000 });
  const log = points([...first, ...second]);
  assert.equal(currentSession(log).length, 12);
  const p = runProgress(log, { lastEpoch: 50 })!;
  assert.ok(Math.abs(p.secondsLeft! - (50 - 8) * 1) < 0.01, `ETA ${p.secondsLeft}`);
});

test('unknown: one point, no times, or no planned length gives no ETA', () => {
  const one = points(ganLog({ from: 1, lines: 1, n: 4, wall: 1, tComp: 0.01, start: T0 }));
  assert.equal(runProgress(one, { lastEpoch: 10 })!.secondsLeft, null);
  const untimed = points(ganLog({ from: 1, lines: 5, n: 4, wall: 1, tComp: 0.01, start: T0 }).map(({ time: _t, ...rest }) => rest));
  assert.equal(runProgress(untimed, { lastEpoch: 10 })!.secondsLeft, null);
  const timed = points(ganLog({ from: 1, lines: 5, n: 4, wall: 1, tComp: 0.01, start: T0 }));
  const p = runProgress(timed)!;
  assert.deepEqual([p.total, p.secondsLeft], [null, null]);
  assert.ok(p.rate! > 0);
  assert.equal(runProgress([]), null);
});

test('fast train logs: progress and ETA in steps', () => {
  const lines = Array.from({ length: 10 }, (_, i) => ({ step: i + 1, epoch: 1, batch: i + 1, count: 2 * (i + 1), dataset: 40, content: 1, style: 2, total: 3, steps: 100, time: new Date(T0 + i * 3000).toISOString() }));
  const p = runProgress(lines.map((l, i) => parsePoint(l, 'fast', i)))!;
  assert.deepEqual([p.unit, p.done, p.total, p.epoch], ['step', 10, 100, 1]);
  assert.ok(Math.abs(p.secondsLeft! - 90 * 3) < 1e-6);
});

test('CLI runs: training while the log grows, finished at the planned end, stopped otherwise', () => {
  const log = points(ganLog({ from: 1, lines: 8, n: 4, wall: 1, tComp: 0.01, start: T0 }));
  const p = runProgress(log, { lastEpoch: 10 });
  const updated = T0 + 7000;
  assert.equal(runStatus(undefined, p, updated, updated + 5000), 'training');
  assert.equal(runStatus(undefined, p, updated, updated + 3600_000), 'stopped');
  assert.equal(runStatus(undefined, runProgress(log, { lastEpoch: 2 }), updated, updated + 3600_000), 'finished');
});
