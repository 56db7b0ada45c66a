/**
 * Learning-rate schedules of the reference's networks.get_scheduler, computed as torch 1.13's
 * lr_scheduler classes compute them (their recursive forms included, so values match to the
 * last bit): linear = LambdaLR with the reference's lambda_rule, step = StepLR(lr_decay_iters,
 * gamma 0.1), plateau = ReduceLROnPlateau(mode min, factor 0.2, threshold 0.01, patience 5),
 * cosine = CosineAnnealingLR(T_max n_epochs, eta_min 0).
 *
 * When to step: the reference's train.py (at 9f8f61e) calls update_learning_rate() at the START
 * of every epoch, so epoch `epoch_count` already trains with the rate after one step.
 * lrForEpoch() gives that rate for any epoch without running the loop.
 */

/** lr_policy of the official get_scheduler. */
export const LR_POLICIES = ['linear', 'step', 'plateau', 'cosine'] as const;
export type LrPolicy = (typeof LR_POLICIES)[number];

export interface ScheduleOptions {
  lr_policy: LrPolicy;
  lr: number;
  n_epochs: number;
  n_epochs_decay: number;
  epoch_count: number;
  lr_decay_iters: number;
}

export interface SchedulerState {
  policy: LrPolicy;
  base_lr: number;
  lr: number;
  last_epoch: number;
  step_count: number;
  /** ReduceLROnPlateau's bookkeeping. */
  best: number;
  num_bad_epochs: number;
  cooldown_counter: number;
}

const STEP_GAMMA = 0.1;
const PLATEAU = { factor: 0.2, threshold: 0.01, patience: 5, cooldown: 0, min_lr: 0, eps: 1e-8 };

export class LrScheduler {
  private _lr: number;
  private epochs = 0;
  private stepCount = 1;
  private best = Infinity;
  private numBadEpochs = 0;
  private cooldownCounter = 0;

  constructor(readonly opt: ScheduleOptions) {
    if (!(opt.lr > 0)) throw new RangeError(`learning rate must be positive, got ${opt.lr}`);
    // torch schedulers take one step on construction (last_epoch -1 -> 0); its value is the base rate times lambda(0).
    this._lr = opt.lr_policy === 'linear' ? opt.lr * this.lambda(0) : opt.lr;
  }

  /** The reference's lambda_rule. */
  private lambda(epoch: number): number {
    const o = this.opt;
    return 1.0 - Math.max(0, epoch + o.epoch_count - o.n_epochs) / (o.n_epochs_decay + 1);
  }

  get lr(): number {
    return this._lr;
  }

  /** torch's last_epoch: steps taken since construction. */
  get lastEpoch(): number {
    return this.epochs;
  }

  /**
   * One scheduler step (the reference's update_learning_rate). `metric` matters only for
   * plateau; the reference always passes its model's `metric`, which stays 0.
   */
  step(metric = 0): { old: number; lr: number } {
    const old = this._lr;
    const o = this.opt;
    this.epochs++;
    this.stepCount++;
    const e = this.epochs;
    switch (o.lr_policy) {
      case 'linear':
        this._lr = o.lr * this.lambda(e);
        break;
      case 'step':
        if (e !== 0 && e % o.lr_decay_iters === 0) this._lr = this._lr * STEP_GAMMA;
        break;
      case 'cosine': {
        const T = o.n_epochs;
        if (e === 0) break;
        if ((e - 1 - T) % (2 * T) === 0) this._lr = this._lr + (o.lr * (1 - Math.cos(Math.PI / T))) / 2;
        else
          this._lr = ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * this._lr;
        break;
      }
      case 'plateau': {
        this.stepCount--; // ReduceLROnPlateau keeps no step count
        if (metric < this.best * (1 - PLATEAU.threshold)) {
          this.best = metric;
          this.numBadEpochs = 0;
        } else this.numBadEpochs++;
        if (this.cooldownCounter > 0) {
          this.cooldownCounter--;
          this.numBadEpochs = 0;
        }
        if (this.numBadEpochs > PLATEAU.patience) {
          const next = Math.max(this._lr * PLATEAU.factor, PLATEAU.min_lr);
          if (this._lr - next > PLATEAU.eps) this._lr = next;
          this.cooldownCounter = PLATEAU.cooldown;
          this.numBadEpochs = 0;
        }
        break;
      }
    }
    return { old, lr: this._lr };
  }

  state(): SchedulerState {
    return {
      policy: this.opt.lr_policy,
      base_lr: this.opt.lr,
      lr: this._lr,
      last_epoch: this.epochs,
      step_count: this.stepCount,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      cooldown_counter: this.cooldownCounter,
    };
  }

  setState(s: SchedulerState): void {
    if (s.policy !== this.opt.lr_policy)
      throw new RangeError(
        `the saved schedule is --lr_policy ${s.policy}, this run uses ${this.opt.lr_policy}`,
      );
    if (s.base_lr !== this.opt.lr)
      throw new RangeError(`the saved schedule starts from --lr ${s.base_lr}, this run from ${this.opt.lr}`);
    this._lr = s.lr;
    this.epochs = s.last_epoch;
    this.stepCount = s.step_count;
    this.best = s.best;
    this.numBadEpochs = s.num_bad_epochs;
    this.cooldownCounter = s.cooldown_counter;
  }
}

/** The reference's console line for a step. */
export function lrMessage(step: { old: number; lr: number }): string {
  return `learning rate ${step.old.toFixed(7)} -> ${step.lr.toFixed(7)}`;
}

/**
 * The rate the reference trains epoch `epoch` with (epochs numbered from epoch_count, one step
 * at the start of each), with a plateau metric of 0 as the reference passes.
 */
export function lrForEpoch(opt: ScheduleOptions, epoch: number): number {
  const s = new LrScheduler(opt);
  for (let e = opt.epoch_count; e <= epoch; e++) s.step(0);
  return s.lr;
}
