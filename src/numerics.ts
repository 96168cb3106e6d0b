/**
 * Finding NaN and infinities in raw storage: shared by the optimizers' numerics check, the
 * CLI's divergence stop, and the model-file and data checks.
 */

/**
 * The index of the first NaN or ±Infinity in `data`, or -1 when every value is finite.
 * @example firstNonFinite(new Float32Array([1, NaN])) // 1
 */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    // v - v is 0 for finite v and NaN for NaN and ±Infinity: one comparison per value
    if (v - v !== 0) return i;
  }
  return -1;
}
