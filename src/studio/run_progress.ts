/**
 * Progress and ETA of a training run from its loss log alone, so runs started from the CLI
 * are measured the same way as the studio's. The ETA comes from the wall-clock times of the
 * latest logged points of the current session: the per-image compute time the GAN log also
 * records leaves out data loading between prints, sample pictures, plots and checkpoints
 * (on a small dataset most of the time), and the whole-run average would count the pause of
 * a stopped and resumed run.
 */

/** One logged point, whichever trainer wrote it. */
export interface RunPoint {
  /** Epochs done, fractional (0 at the start of the first). */
  x: number;
  /** The epoch this point was logged in (1-based, as the trainers print it). */
  epoch: number;
  /** Fast train: steps done in all, and the run's last step. */
  step?: number;
  steps?: number;
  losses: Record<string, number>;
  /** Seconds per image (GAN logs). */
  secondsPerImage?: number;
  /** When the point was written (ms since the epoch), when the log says. */
  time?: number;
}

export interface RunProgress {
  /** What `done` and `total` count: epochs (GAN runs) or optimiser steps (fast train). */
  unit: 'epoch' | 'step';
  done: number;
  /** Null when the log does not say how long the run is. */
  total: number | null;
  /** The epoch in progress at the last point, and the run's last epoch when known. */
  epoch: number | null;
  epochs: number | null;
  /** Units per second over the recent points of this session; null when unknown. */
  rate: number | null;
  /** Null when unknown (fewer than two timed points, or no total). */
  secondsLeft: number | null;
}

/** The points since the run last (re)started: a step back in position, or a pause much longer than the recent spacing, starts a session. */
export function currentSession(points: readonly RunPoint[], maxPoints = 30): RunPoint[] {
  const out: RunPoint[] = [];
  const gaps: number[] = [];
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    const next = out[0];
    if (next) {
      if (p.x >= next.x || p.time === undefined || next.time === undefined) break;
      const gap = next.time - p.time;
      if (gap < 0) break;
      const typical = gaps.length ? [...gaps].sort((a, b) => a - b)[gaps.length >> 1] : null;
      // A first gap has nothing to compare with; an ordinary pause is well under a minute between prints.
      if (typical !== null ? gap > Math.max(10 * typical, 30000) : gap > 10 * 60000) break;
      gaps.push(gap);
    }
    out.unshift(p);
    if (out.length >= maxPoints) break;
  }
  return out;
}

/** Where the run is and how long it still needs. `lastEpoch`: n_epochs + n_epochs_decay for GAN runs. */
export function runProgress(
  points: readonly RunPoint[],
  plan: { lastEpoch?: number } = {},
): RunProgress | null {
  const last = points.at(-1);
  if (!last) return null;
  const byStep = last.step !== undefined;
  const done = byStep ? last.step! : last.x;
  const total = byStep ? (last.steps ?? null) : (plan.lastEpoch ?? null);
  const session = currentSession(points);
  let rate: number | null = null;
  if (session.length >= 2) {
    const a = session[0];
    const b = session.at(-1)!;
    const units = byStep ? b.step! - a.step! : b.x - a.x;
    const seconds = (b.time! - a.time!) / 1000;
    if (units > 0 && seconds > 0) rate = units / seconds;
  }
  const secondsLeft = rate !== null && total !== null ? Math.max(0, total - done) / rate : null;
  return {
    unit: byStep ? 'step' : 'epoch',
    done,
    total,
    epoch: last.epoch,
    epochs: byStep ? null : (plan.lastEpoch ?? null),
    rate,
    secondsLeft,
  };
}
