// The vector type the native kernels compute in: GCC vector extensions at the widest width the
// build machine has (16 floats with AVX-512, 8 with AVX, else 4), so one source compiles to each.
#pragma once
#include <cstring>

namespace bp {

#if defined(__AVX512F__)
constexpr int V = 16;
#elif defined(__AVX__)
constexpr int V = 8;
#else
constexpr int V = 4;
#endif

typedef float vf __attribute__((vector_size(V * sizeof(float))));
typedef int vi __attribute__((vector_size(V * sizeof(int))));
// a lane mask: all bits set where true, as vector comparisons give it
typedef vi vm;

// unaligned load and store (memcpy compiles to one vector move)
static inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof(vf));
  return v;
}
static inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof(vf)); }
static inline vf splat(float x) { return vf{} + x; }
static inline vi splatI(int x) { return vi{} + x; }

}  // namespace bp
