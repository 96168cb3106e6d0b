// GELU and its gradient, native: vmath.h's float32 formulas in loops GCC vectorizes, split into
// chunks over the shared pool. Elements are independent, so the thread count changes nothing.
#pragma GCC optimize("fp-contract=off")
#include "activation.h"

#include "pool.h"
#include "vmath.h"

namespace bp {

namespace {

// big enough that a chunk outweighs handing it to another thread
constexpr size_t CHUNK = 1 << 15;

struct Job {
  const float* x;
  const float* g;
  const float* y;
  float* out;
  size_t n;
};

void geluChunk(void* ctx, int task, int) {
  const Job& j = *static_cast<const Job*>(ctx);
  const size_t lo = (size_t)task * CHUNK, hi = lo + CHUNK < j.n ? lo + CHUNK : j.n;
  const float* __restrict x = j.x;
  float* __restrict out = j.out;
  for (size_t i = lo; i < hi; i++) out[i] = geluF(x[i]);
}

void geluGradChunk(void* ctx, int task, int) {
  const Job& j = *static_cast<const Job*>(ctx);
  const size_t lo = (size_t)task * CHUNK, hi = lo + CHUNK < j.n ? lo + CHUNK : j.n;
  const float* __restrict g = j.g;
  const float* __restrict x = j.x;
  const float* __restrict y = j.y;
  float* __restrict out = j.out;
  for (size_t i = lo; i < hi; i++) out[i] = geluGradF(g[i], x[i], y[i]);
}

int chunks(size_t n) { return (int)((n + CHUNK - 1) / CHUNK); }

}  // namespace

void geluF32(const float* x, float* out, size_t n, int threads) {
  Job j{x, nullptr, nullptr, out, n};
  sharedPool().run(chunks(n), threads, geluChunk, &j);
}

void geluGradF32(const float* g, const float* x, const float* y, float* out, size_t n, int threads) {
  Job j{x, g, y, out, n};
  sharedPool().run(chunks(n), threads, geluGradChunk, &j);
}

}  // namespace bp
