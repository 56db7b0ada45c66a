import assert from 'node:assert/strict';

/**
 * Each output of `a` matches the same output of `ref` within max |Δ| ≤ rel · max|ref|: the bar
 * for a faster lowering (Winograd) against ORT's direct op, where a wrong transform is off by O(1).
 */
export function assertSameOutputs(
  a: Record<string, Float32Array>,
  ref: Record<string, Float32Array>,
  keys: readonly string[],
  rel: number,
  label: string,
): void {
  for (const key of keys) {
    assert.equal(a[key].length, ref[key].length, key);
    let scale = 0;
    let err = 0;
    for (let i = 0; i < a[key].length; i++) {
      scale = Math.max(scale, Math.abs(ref[key][i]));
      err = Math.max(err, Math.abs(a[key][i] - ref[key][i]));
    }
    assert.ok(err <= rel * scale, `${label}: ${key} max |Δ| ${err} vs scale ${scale}`);
  }
}
