// Float32 GEMM for the native CPU kernels: C[i] = op(A[i]) @ op(B[i]) over a batch, row-major,
// the same contract as the backends' matmul (MatmulArgs). Packed panels and a register-blocked
// micro-kernel written with GCC vector extensions, so that the compiler emits the widest FMA the
// build machine has (AVX-512, AVX2, NEON) from one source.
#pragma once
#include <cstdint>

namespace bp {

struct GemmArgs {
  const float* a;
  const float* b;
  float* c;
  int batch, m, n, k;
  bool transA, transB;
  const int32_t* aOffsets;  // null: batch item i starts at i*m*k
  const int32_t* bOffsets;  // null: batch item i starts at i*k*n
};

// Runs on up to `threads` threads (the caller included). Results do not depend on the thread count.
void sgemm(const GemmArgs& g, int threads);

// Vector width in floats and the micro-kernel's shape, fixed at compile time.
int gemmVectorFloats();

}  // namespace bp
