import type { MatmulArgs, TypedArray } from '../backend.js';

/**
 * The reference GEMM. It favours clarity, but keeps loop orders cache-friendly so that the
 * reference is usable for real training: all three transpose cases stream memory contiguously.
 */
export function matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
  const { batch, m, n, k, transA, transB } = args;
  const acc = new Float64Array(n);
  for (let t = 0; t < batch; t++) {
    const ao = args.aOffsets ? args.aOffsets[t]! : t * m * k;
    const bo = args.bOffsets ? args.bOffsets[t]! : t * k * n;
    const co = t * m * n;
    if (!transB) {
      // C[i,:] += A[i,p] * B[p,:]: the inner loop walks B and C rows contiguously
      for (let i = 0; i < m; i++) {
        acc.fill(0);
        for (let p = 0; p < k; p++) {
          const aip = transA ? a[ao + p * m + i]! : a[ao + i * k + p]!;
          const bRow = bo + p * n;
          for (let j = 0; j < n; j++) acc[j]! += aip * b[bRow + j]!;
        }
        for (let j = 0; j < n; j++) out[co + i * n + j] = acc[j]!;
      }
    } else if (!transA) {
      // C[i,j] = A[i,:] . B[j,:]: both rows contiguous
      for (let i = 0; i < m; i++) {
        const aRow = ao + i * k;
        for (let j = 0; j < n; j++) {
          const bRow = bo + j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += a[aRow + p]! * b[bRow + p]!;
          out[co + i * n + j] = s;
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const bRow = bo + j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ao + p * m + i]! * b[bRow + p]!;
          out[co + i * n + j] = s;
        }
      }
    }
  }
}
