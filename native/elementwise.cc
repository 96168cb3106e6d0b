// See elementwise.h. fp-contract=off: a fused multiply-add would round once where JS rounds twice.
#pragma GCC optimize("fp-contract=off")
#include "elementwise.h"

#include <cmath>

namespace bp {

template <typename F>
static void arith(const float* __restrict a, const float* __restrict b, size_t bLen, float* __restrict out, size_t n, F f) {
  if (bLen == 1) {
    const float s = b[0];
    for (size_t i = 0; i < n; i++) out[i] = f(a[i], s);
  } else {
    for (size_t i = 0; i < n; i++) out[i] = f(a[i], b[i]);
  }
}

void arithF32(Arith op, const float* a, const float* b, size_t bLen, float* out, size_t n) {
  switch (op) {
    case Arith::Add: arith(a, b, bLen, out, n, [](float x, float y) { return x + y; }); break;
    case Arith::Sub: arith(a, b, bLen, out, n, [](float x, float y) { return x - y; }); break;
    case Arith::Mul: arith(a, b, bLen, out, n, [](float x, float y) { return x * y; }); break;
    case Arith::Div: arith(a, b, bLen, out, n, [](float x, float y) { return x / y; }); break;
  }
}

void adamF32(float* __restrict x, const float* __restrict g, float* __restrict m, float* __restrict v, size_t n,
             const AdamScalars& s) {
  const double b1 = s.b1, b2 = s.b2, c1 = s.c1, c2 = s.c2, eps = s.eps;
  const double stepSize = s.stepSize, bc2Sqrt = s.bc2Sqrt, decay = s.decay, l2 = s.l2;
  for (size_t i = 0; i < n; i++) {
    const double xi = x[i];
    const double gi = g[i] + l2 * xi;
    const double mi = b1 * m[i] + c1 * gi;
    const double vi = b2 * v[i] + c2 * gi * gi;
    m[i] = (float)mi;
    v[i] = (float)vi;
    x[i] = (float)(xi * decay - (stepSize * mi) / (std::sqrt(vi) / bc2Sqrt + eps));
  }
}

}  // namespace bp
