/**
 * Flicker in stylised video, and one way to reduce it.
 *
 * Feed-forward style networks stylise each frame on its own, so small changes of the input
 * (sensor noise, compression, lighting) change the strokes from frame to frame: the video
 * flickers. The measure used here is the mean absolute difference between consecutive output
 * frames divided by that of the input frames (1 means the output changes as much as the input).
 *
 * `--temporal-smoothing a` blends each stylised frame with the previous (smoothed) output where
 * the input hardly changed: per pixel, out = s + w (prev - s) with w = a · exp(-d / tau), d the
 * mean absolute change of the input pixel over its three channels (0-255) and tau = 16. Still
 * regions settle (an exponential moving average with weight a), moving ones follow the new
 * frame (w falls to ~0 where d is large), so motion is not smeared. No optical flow: a camera
 * pan counts as change everywhere and is left alone.
 */

export const SMOOTHING_TAU = 16;

export class TemporalSmoother {
  private prevIn: Uint8Array | null = null;
  private prevOut: Float32Array | null = null;
  private readonly table = new Float32Array(256);
  constructor(
    readonly strength: number,
    readonly tau = SMOOTHING_TAU,
  ) {
    if (!(strength >= 0 && strength < 1)) throw new RangeError(`temporal smoothing must be in [0, 1), got ${strength}`);
    for (let d = 0; d < 256; d++) this.table[d] = strength * Math.exp(-d / tau);
  }

  /** Smooths `out` (HWC RGB, 0-255 floats) in place, given the frame's input (HWC RGB bytes, same size). */
  apply(input: Uint8Array, out: Float32Array): void {
    const prevIn = this.prevIn;
    const prevOut = this.prevOut;
    if (prevIn && prevOut && this.strength > 0) {
      for (let p = 0; p < input.length; p += 3) {
        const d = (Math.abs(input[p] - prevIn[p]) + Math.abs(input[p + 1] - prevIn[p + 1]) + Math.abs(input[p + 2] - prevIn[p + 2])) / 3;
        const w = this.table[Math.round(d)];
        out[p] += w * (prevOut[p] - out[p]);
        out[p + 1] += w * (prevOut[p + 1] - out[p + 1]);
        out[p + 2] += w * (prevOut[p + 2] - out[p + 2]);
      }
    }
    this.prevIn = Uint8Array.from(input);
    this.prevOut = Float32Array.from(out);
  }
}

/** Accumulates the flicker measure over a video's consecutive frame pairs. */
export class FlickerMeter {
  private prevIn: Uint8Array | null = null;
  private prevOut: Uint8Array | null = null;
  private sumIn = 0;
  private sumOut = 0;
  private pairs = 0;

  add(input: Uint8Array, output: Uint8Array): void {
    if (this.prevIn && this.prevOut) {
      this.sumIn += meanAbsDiff(input, this.prevIn);
      this.sumOut += meanAbsDiff(output, this.prevOut);
      this.pairs++;
    }
    this.prevIn = Uint8Array.from(input);
    this.prevOut = Uint8Array.from(output);
  }

  /** Mean absolute change between consecutive input frames, of output frames, and their ratio (null before two frames or for a still input). */
  result(): { input: number; output: number; ratio: number | null } {
    const input = this.pairs ? this.sumIn / this.pairs : 0;
    const output = this.pairs ? this.sumOut / this.pairs : 0;
    return { input, output, ratio: input > 0 ? output / input : null };
  }
}

export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}
