/**
 * A stopping rule on the relative change of the cost: stop when the cost fell by less than
 * `tolerance` (relative to its current value) over the last `window` evaluations. Noisy
 * single steps (L-BFGS without line search sometimes goes up) do not stop a run on their own.
 */
export class RelativeChangeStop {
  private readonly history: number[] = [];
  constructor(
    readonly tolerance: number,
    readonly window = 10,
  ) {}

  /** Records one evaluation's cost; true when the run should stop. */
  push(cost: number): boolean {
    this.history.push(cost);
    if (this.history.length > this.window + 1) this.history.shift();
    if (!(this.tolerance > 0) || this.history.length <= this.window) return false;
    const before = this.history[0];
    return (before - cost) / Math.abs(cost) < this.tolerance;
  }
}
