// GELU (exact, erf-based) and its gradient for the native CPU kernels: the wasm backend's
// formulas (vmath.h), so both backends give the same bits.
#pragma once
#include <cstddef>

namespace bp {

// out[i] = gelu(x[i]); out must not overlap x.
void geluF32(const float* x, float* out, size_t n, int threads);

// out[i] = g[i]·gelu'(x[i]), with y = gelu(x) from the forward; out must not overlap an input.
void geluGradF32(const float* g, const float* x, const float* y, float* out, size_t n, int threads);

}  // namespace bp
