// Row kernels for the native CPU backend: layer normalization and softmax cross-entropy, with
// their gradients, under the backends' contracts (src/backend/backend.ts). Each row's sums run in
// float32 vectors and are combined in double; rows are independent except for layer norm's weight
// and bias gradients, which are summed over rows in row order.
#pragma once

namespace bp {

// out[r, :] = (x[r, :] − mean)/√(var + eps)·w + b; w and b may be null.
void layerNormF32(const float* x, const float* w, const float* b, int rows, int cols, float eps, float* out);

// dx from the output gradient g; dw and db (may be null) summed over the rows.
void layerNormGradF32(const float* g, const float* x, const float* w, int rows, int cols, float eps, float* dx, float* dw,
                      float* db);

struct CrossEntropyArgs {
  int rows, cols;
  float labelSmoothing;
  int ignoreIndex;
};

// out[i] = the loss of row i of the logits z against class targets[i] (weights w per class, may be null).
void crossEntropyF32(const float* z, const int* targets, const float* w, const CrossEntropyArgs& a, float* out);

// out[i, :] = (softmax(z_i)·Σ_c q_ic − q_i)·g[i], q the (smoothed, weighted) target distribution.
void crossEntropyGradF32(const float* z, const int* targets, const float* w, const float* g, const CrossEntropyArgs& a,
                         float* out);

}  // namespace bp
