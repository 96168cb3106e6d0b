// Memory-bound float32 loops of a training step, native: same-length (or scalar) arithmetic and
// the Adam/AdamW update. Compiled without contracting a*b+c into fused multiply-adds, so each
// result is bit-for-bit the wasm backend's (the JS loops round the same IEEE operations).
#pragma once
#include <cstddef>

namespace bp {

enum class Arith { Add = 0, Sub = 1, Mul = 2, Div = 3 };

// out[i] = a[i] op b[i], or a[i] op b[0] when bLen == 1.
void arithF32(Arith op, const float* a, const float* b, size_t bLen, float* out, size_t n);

// The scalars are computed by the caller (JS), so the per-element arithmetic is all that runs here.
struct AdamScalars {
  double b1, b2, c1, c2, eps, stepSize, bc2Sqrt, decay, l2;
};

// One Adam/AdamW step in float64 per element, stored to float32 (the wasm backend's adamStepF32).
void adamF32(float* x, const float* g, float* m, float* v, size_t n, const AdamScalars& s);

}  // namespace bp
