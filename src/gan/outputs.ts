/**
 * The names of a training step's graph inputs and outputs that belong to one network: its
 * parameter gradients, its Adam state when the step runs Adam inside the session, and its
 * running-statistic updates. Built here only, so the code that makes an output and the code
 * that reads it cannot spell it differently.
 */

/** An Adam moment as fed in (m, v) or as computed by the step (m1, v1), or the new weight (x). */
export type AdamSlot = 'm' | 'v' | 'm1' | 'v1' | 'x';

export const stepNames = {
  /** d loss / d parameter `key` (a state_dict key) of network `net`. */
  grad: (net: string, key: string): string => `grad.${net}.${key}`,
  adam: (net: string, slot: AdamSlot, key: string): string => `adam.${net}.${slot}.${key}`,
  /** The in-graph Adam step's scalars for this step. */
  adamStepSize: (net: string): string => `adam.${net}.step_size`,
  adamBc2: (net: string): string => `adam.${net}.bc2`,
  /** The share of the i-th running-statistic update of network `net` (in call order). */
  statShare: (net: string, i: number): string => `bn.${net}.${i}`,
} as const;
