// See rows.h.
#include "rows.h"

#include <cmath>
#include <limits>
#include <vector>

#include "simd.h"
#include "vmath.h"

namespace bp {

namespace {

double hsum(vf v) {
  double s = 0;
  for (int l = 0; l < V; l++) s += v[l];
  return s;
}

// Σ x[j] for j < n
double rowSum(const float* x, int n) {
  vf acc{};
  int j = 0;
  for (; j + V <= n; j += V) acc += loadu(x + j);
  double s = hsum(acc);
  for (; j < n; j++) s += x[j];
  return s;
}

// Σ (x[j] − m)²
double rowSquares(const float* x, int n, float m) {
  vf acc{};
  int j = 0;
  for (; j + V <= n; j += V) {
    const vf c = loadu(x + j) - splat(m);
    acc += c * c;
  }
  double s = hsum(acc);
  for (; j < n; j++) s += (double)(x[j] - m) * (x[j] - m);
  return s;
}

struct Stats {
  float mean, sd;
};

Stats stats(const float* x, int cols, float eps) {
  const float mean = (float)(rowSum(x, cols) / cols);
  return {mean, (float)std::sqrt(rowSquares(x, cols, mean) / cols + eps)};
}

float rowMax(const float* z, int n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int k = 0; k < n; k++) mx = z[k] > mx ? z[k] : mx;
  return mx;
}

// Σ exp(z[k] − mx)
double expSum(const float* z, int n, float mx) {
  double s = 0;
  int k = 0;
  for (; k + V <= n; k += V) {
    const vf zk = loadu(z + k);
    vf e;
    for (int l = 0; l < V; l++) e[l] = expF(zk[l] - mx);
    s += hsum(e);
  }
  for (; k < n; k++) s += expF(z[k] - mx);
  return s;
}

}  // namespace

void layerNormF32(const float* x, const float* w, const float* b, int rows, int cols, float eps, float* out) {
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (long)r * cols;
    float* o = out + (long)r * cols;
    const Stats s = stats(xr, cols, eps);
    // divide rather than multiply by 1/σ, as the reference does
    for (int j = 0; j < cols; j++) {
      float y = (xr[j] - s.mean) / s.sd;
      if (w) y *= w[j];
      if (b) y += b[j];
      o[j] = y;
    }
  }
}

void layerNormGradF32(const float* g, const float* x, const float* w, int rows, int cols, float eps, float* dx, float* dw,
                      float* db) {
  std::vector<float> xh(cols), gw(cols);
  std::vector<double> accW(dw ? cols : 0), accB(db ? cols : 0);
  for (int r = 0; r < rows; r++) {
    const float* xr = x + (long)r * cols;
    const float* gr = g + (long)r * cols;
    const Stats s = stats(xr, cols, eps);
    // dx = (gw − mean(gw) − x̂·mean(gw·x̂))/σ with gw = g·w
    for (int j = 0; j < cols; j++) {
      xh[j] = (xr[j] - s.mean) / s.sd;
      gw[j] = w ? gr[j] * w[j] : gr[j];
    }
    vf va{}, vb{};
    int j = 0;
    for (; j + V <= cols; j += V) {
      const vf gv = loadu(gw.data() + j);
      va += gv;
      vb += gv * loadu(xh.data() + j);
    }
    double a = hsum(va), bsum = hsum(vb);
    for (; j < cols; j++) {
      a += gw[j];
      bsum += (double)gw[j] * xh[j];
    }
    const float ma = (float)(a / cols), mb = (float)(bsum / cols);
    float* d = dx + (long)r * cols;
    for (int k = 0; k < cols; k++) d[k] = (gw[k] - ma - xh[k] * mb) / s.sd;
    if (dw) for (int k = 0; k < cols; k++) accW[k] += gr[k] * xh[k];
    if (db) for (int k = 0; k < cols; k++) accB[k] += gr[k];
  }
  if (dw) for (int k = 0; k < cols; k++) dw[k] = (float)accW[k];
  if (db) for (int k = 0; k < cols; k++) db[k] = (float)accB[k];
}

void crossEntropyF32(const float* z, const int* targets, const float* w, const CrossEntropyArgs& a, float* out) {
  const int c = a.cols;
  const double eps = a.labelSmoothing;
  for (int i = 0; i < a.rows; i++) {
    const int t = targets[i];
    if (t == a.ignoreIndex) {
      out[i] = 0;
      continue;
    }
    const float* zi = z + (long)i * c;
    const float mx = rowMax(zi, c);
    // lse is log Σ exp(z − max): every −log p_k below is lse − (z_k − max) ≥ 0
    const double lse = std::log(expSum(zi, c, mx));
    double loss = (1 - eps) * (w ? w[t] : 1) * (lse - (double)(zi[t] - mx));
    if (eps > 0) {
      double s = 0;
      for (int k = 0; k < c; k++) s += (w ? w[k] : 1) * (lse - (double)(zi[k] - mx));
      loss += eps / c * s;
    }
    out[i] = (float)loss;
  }
}

void crossEntropyGradF32(const float* z, const int* targets, const float* w, const float* g, const CrossEntropyArgs& a,
                         float* out) {
  const int c = a.cols;
  const double eps = a.labelSmoothing;
  for (int i = 0; i < a.rows; i++) {
    const int t = targets[i];
    const float* zi = z + (long)i * c;
    float* o = out + (long)i * c;
    if (t == a.ignoreIndex) {
      for (int k = 0; k < c; k++) o[k] = 0;
      continue;
    }
    const float mx = rowMax(zi, c);
    const double se = expSum(zi, c, mx);
    // Σ_c q_ic: 1 for unweighted rows, else the smoothed weight mass
    const double qt = (1 - eps) * (w ? w[t] : 1);
    double rowTotal = qt;
    if (eps > 0) for (int k = 0; k < c; k++) rowTotal += eps / c * (w ? w[k] : 1);
    const float gi = g[i], scale = (float)(rowTotal / se);
    const float smooth = (float)(eps / c);
    for (int k = 0; k < c; k++) {
      float q = eps > 0 ? smooth * (w ? w[k] : 1.0f) : 0.0f;
      if (k == t) q += (float)qt;
      o[k] = (expF(zi[k] - mx) * scale - q) * gi;
    }
  }
}

}  // namespace bp
