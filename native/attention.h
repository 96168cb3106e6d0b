// Scaled dot-product attention for the native CPU kernels: the backends' attention and
// attentionGrad contract (src/backend/backend.ts, AttentionArgs), one head per task on the shared
// pool. Each head reads its rows of q, k, v (any strided layout, features contiguous) and writes
// only its own rows of the outputs, so q, k, v may be one storage, and dq, dk, dv another.
#pragma once

namespace bp {

struct Layout {
  long offset, batchStride, headStride, rowStride;
};

struct AttentionArgs {
  int batch, heads, l, s, d;
  float scale;
  bool causal;
  Layout q, k, v, out;
};

void attentionF32(const float* q, const float* k, const float* v, const AttentionArgs& a, float* out, int threads);

// dq, dk, dv from the output gradient g (laid out as a.out); the weights are recomputed.
void attentionGradF32(const float* q, const float* k, const float* v, const float* g, const AttentionArgs& a,
                      float* dq, float* dk, float* dv, int threads);

}  // namespace bp
