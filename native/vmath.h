// Float32 math for the native kernels, written as the wasm backend's emitted SIMD code computes it
// (src/backend/wasm/elementwise.ts): the same range reductions, polynomials and operation order,
// each operation rounded on its own. Compiled with fp-contract=off, a loop over these gives the
// wasm backend's results bit for bit, and GCC vectorizes it at the machine's own width.
#pragma once
#include <cstdint>

namespace bp {

static inline float asFloat(int32_t i) { return __builtin_bit_cast(float, i); }
static inline int32_t asInt(float f) { return __builtin_bit_cast(int32_t, f); }

// wasm's f32x4.pmax / pmin: b where it is the larger / smaller, else a (so NaN in a stays)
static inline float pmax(float a, float b) { return a < b ? b : a; }
static inline float pmin(float a, float b) { return b < a ? b : a; }

// e^x: Cephes-style, n = nearest(x·log2 e), r = x − n·ln 2 in two parts, a degree-6 polynomial,
// then the scale by 2^n split in two halves so overflow and gradual underflow round as they should.
static inline float expF(float x) {
  const float t = pmin(pmax(x, -104.0f), 89.0f);
  // 1.5·2^23 added and taken away rounds to the nearest integer, ties to even (f32x4.nearest)
  const float n = (t * 1.44269504088896340736f + 12582912.0f) - 12582912.0f;
  const float r = (t - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float out = ((p * r) * r + r) + 1.0f;
  const int32_t ni = asInt(n + 12582912.0f) - 0x4b400000;
  const int32_t h = ni >> 1;
  out = out * asFloat((h + 127) << 23);
  return out * asFloat((ni - h + 127) << 23);
}

// 1 + erf(x/√2) = 2Φ(x): erfc(|x|/√2) by a Chebyshev fit, its exp(−z²) with z² split exactly
// (wasm's emitPhi2).
static inline float phi2F(float x) {
  const float z = pmin(asFloat(asInt(x) & 0x7fffffff) * 0.70710678118654752440f, 12.0f);
  const float t = 1.0f / (z * 0.5f + 1.0f);
  float p = 0.17087277f;
  p = p * t + -0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t + -1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t + -0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t + -1.26551223f;
  float zh = asFloat(asInt(z) & -4096);
  float lo = p - (z - zh) * (z + zh);
  zh = -(zh * zh);
  const float s = zh + lo;
  const float bb = s - zh;
  lo = (zh - (s - bb)) + (lo - bb);
  const float ec = (expF(s) * (lo + 1.0f)) * t;
  return x < 0 ? ec : 2.0f - ec;
}

// gelu(x) = x·Φ(x)
static inline float geluF(float x) { return phi2F(x) * (x * 0.5f); }

// g·gelu'(x) = g·(Φ(x) + x·φ(x)), Φ(x) read as y/x from the forward's y (½ at x = 0)
static inline float geluGradF(float g, float x, float y) {
  const float cdf = x != 0 ? y / x : 0.5f;
  float h = (x * x) * -0.5f;
  const bool small = h < -87.0f;
  h = pmax(h, -87.0f);
  const float e = small ? 0.0f : expF(h);
  return (cdf + x * (e * 0.3989422804014327f)) * g;
}

}  // namespace bp
