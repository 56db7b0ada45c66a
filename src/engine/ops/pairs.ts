/** Per-axis (height, width) options of the 2-D ops, as PyTorch takes them: one number or a pair. */
export type Pair = [number, number];

/** `v` as a pair: `d` (a number for both axes, or a pair) when undefined. */
export const pair = (v: number | Pair | undefined, d: number | Pair): Pair =>
  v === undefined ? (typeof d === 'number' ? [d, d] : d) : typeof v === 'number' ? [v, v] : v;

/** Whether both entries of `v` are `d`. */
export const both = (v: readonly number[], d: number): boolean => v[0] === d && v[1] === d;
