// See attention.h. Per head, k (and for the gradient v) is transposed once into a scratch panel
// whose key dimension is padded to whole vectors; a query's scores are then vectors of keys
// accumulated in registers over the features, and weights·v vectors of features accumulated
// over the keys. The weights are recomputed in the gradient rather than stored. Float32 throughout.
#include "attention.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "pool.h"
#include "simd.h"
#include "vmath.h"

namespace bp {

namespace {

int roundUp(int x, int q) { return (x + q - 1) / q * q; }

// A scratch array aligned to 64 bytes: a vector row then never straddles two cache lines
struct Buf {
  std::vector<float> v;
  float* get(size_t n) {
    if (v.size() < n + 16) v.resize(n + 16);
    return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(v.data()) + 63) & ~uintptr_t(63));
  }
};

struct Scratch {
  Buf kt, vt, p, dp, accK, accV;
};
// one per thread: a head runs on whichever thread claims it
thread_local Scratch scratch;

long base(const Layout& L, int b, int h) { return L.offset + b * L.batchStride + h * L.headStride; }

// t[c·sp + j] = x[j·rs + c] for the s rows, zero in the padding
void packTransposed(const float* x, long rs, int s, int d, int sp, float* t) {
  for (int c = 0; c < d; c++) {
    float* tc = t + (long)c * sp;
    for (int j = 0; j < s; j++) tc[j] = x[j * rs + c];
    for (int j = s; j < sp; j++) tc[j] = 0;
  }
}

// out[c] = Σ_{k<K} w[k]·m[k·stride + c] for c in NB whole vectors from c0, as NB·2 independent
// sums (even and odd k) so the adds do not wait on each other
template <int NB>
void combineBlocks(const float* __restrict w, const float* __restrict m, long stride, int K, int c0, float* __restrict out) {
  vf acc[NB][2] = {};
  int k = 0;
  for (; k + 2 <= K; k += 2) {
    const vf w0 = splat(w[k]), w1 = splat(w[k + 1]);
    const float* m0 = m + k * stride + c0;
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++) {
      acc[b][0] += w0 * loadu(m0 + b * V);
      acc[b][1] += w1 * loadu(m0 + stride + b * V);
    }
  }
  if (k < K) {
    const vf w0 = splat(w[k]);
#pragma GCC unroll 4
    for (int b = 0; b < NB; b++) acc[b][0] += w0 * loadu(m + k * stride + c0 + b * V);
  }
#pragma GCC unroll 4
  for (int b = 0; b < NB; b++) storeu(out + c0 + b * V, acc[b][0] + acc[b][1]);
}

// out[c] = Σ_{k<K} w[k]·m[k·stride + c] for c < width: K rows of m weighted by w. With m a
// transposed panel it is a row times the keys (scores, g·vᵀ); with m the rows of v or k, a
// weighted sum of them.
void combineRows(const float* w, const float* m, long stride, int K, int width, float* out) {
  int c = 0;
  for (; c + 4 * V <= width; c += 4 * V) combineBlocks<4>(w, m, stride, K, c, out);
  switch ((width - c) / V) {
    case 3: combineBlocks<3>(w, m, stride, K, c, out); c += 3 * V; break;
    case 2: combineBlocks<2>(w, m, stride, K, c, out); c += 2 * V; break;
    case 1: combineBlocks<1>(w, m, stride, K, c, out); c += V; break;
    default: break;
  }
  for (; c < width; c++) {
    float acc = 0;
    for (int k = 0; k < K; k++) acc += w[k] * m[k * stride + c];
    out[c] = acc;
  }
}

// y[c] += a·x[c] for c < d
void axpy(float* __restrict y, const float* __restrict x, float a, int d) {
  int c = 0;
  for (; c + V <= d; c += V) storeu(y + c, loadu(y + c) + splat(a) * loadu(x + c));
  for (; c < d; c++) y[c] += a * x[c];
}

// lanes jb..jb+V−1 that are keys below n
vm below(int jb, int n) {
  vi lane;
  for (int t = 0; t < V; t++) lane[t] = jb + t;
  return lane < splatI(n);
}

// p[0..n) = softmax over keys 0..n−1 of scale·(qi · k_j), from k transposed in kt; p is zero from
// n up to the next whole vector. Max and sum run in vectors, a NaN score makes every weight NaN
// (as in the reference).
void weights(const float* qi, const float* kt, int sp, int d, int n, float scale, float* __restrict p) {
  const int nv = std::min(roundUp(n, V), sp);
  combineRows(qi, kt, sp, d, nv, p);
  const float inf = std::numeric_limits<float>::infinity();
  vf vmax = splat(-inf);
  vm nan{};
  for (int jb = 0; jb < nv; jb += V) {
    const vf sc = loadu(p + jb) * splat(scale);
    storeu(p + jb, sc);
    const vm in = below(jb, n);
    nan |= in & (sc != sc);
    vmax = in & (sc > vmax) ? sc : vmax;
  }
  float mx = -inf;
  bool anyNan = false;
  for (int t = 0; t < V; t++) {
    mx = vmax[t] > mx ? vmax[t] : mx;
    anyNan = anyNan || nan[t] != 0;
  }
  if (anyNan) mx = std::numeric_limits<float>::quiet_NaN();
  vf vsum{};
  for (int jb = 0; jb < nv; jb += V) {
    const vf sc = loadu(p + jb);
    vf e;
    for (int t = 0; t < V; t++) e[t] = expF(sc[t] - mx);
    e = below(jb, n) ? e : vf{};
    storeu(p + jb, e);
    vsum += e;
  }
  float sum = 0;
  for (int t = 0; t < V; t++) sum += vsum[t];
  for (int jb = 0; jb < nv; jb += V) storeu(p + jb, loadu(p + jb) / splat(sum));
}

// Σ_{j<n} x[j]·y[j], with x and y zero or finite up to the next whole vector
float dotPadded(const float* x, const float* y, int n, int nv) {
  vf acc{};
  for (int jb = 0; jb < nv; jb += V) acc += below(jb, n) ? loadu(x + jb) * loadu(y + jb) : vf{};
  float t = 0;
  for (int l = 0; l < V; l++) t += acc[l];
  return t;
}

struct Job {
  const float *q, *k, *v, *g;
  float *out, *dq, *dk, *dv;
  const AttentionArgs* a;
};

void forwardHead(void* ctx, int task, int) {
  const Job& job = *static_cast<const Job*>(ctx);
  const AttentionArgs& a = *job.a;
  const int b = task / a.heads, h = task % a.heads, d = a.d, sp = roundUp(a.s, V);
  Scratch& S = scratch;
  float* kt = S.kt.get((size_t)d * sp);
  float* p = S.p.get(sp);
  packTransposed(job.k + base(a.k, b, h), a.k.rowStride, a.s, d, sp, kt);
  const float* qb = job.q + base(a.q, b, h);
  const float* vb = job.v + base(a.v, b, h);
  float* ob = job.out + base(a.out, b, h);
  for (int i = 0; i < a.l; i++) {
    const int n = a.causal ? std::min(a.s, i + 1) : a.s;
    weights(qb + i * a.q.rowStride, kt, sp, d, n, a.scale, p);
    combineRows(p, vb, a.v.rowStride, n, d, ob + i * a.out.rowStride);
  }
}

void gradHead(void* ctx, int task, int) {
  const Job& job = *static_cast<const Job*>(ctx);
  const AttentionArgs& a = *job.a;
  const int b = task / a.heads, h = task % a.heads, d = a.d, s = a.s, sp = roundUp(s, V);
  Scratch& S = scratch;
  float* kt = S.kt.get((size_t)d * sp);
  float* vt = S.vt.get((size_t)d * sp);
  float* p = S.p.get(sp);
  float* ds = S.dp.get(sp);
  // rows of d floats, each starting a cache line when d allows
  const int dr = roundUp(d, V);
  float* accK = S.accK.get((size_t)s * dr);
  float* accV = S.accV.get((size_t)s * dr);
  std::fill_n(accK, (size_t)s * dr, 0.0f);
  std::fill_n(accV, (size_t)s * dr, 0.0f);
  const float* qb = job.q + base(a.q, b, h);
  const float* kb = job.k + base(a.k, b, h);
  const float* gb = job.g + base(a.out, b, h);
  packTransposed(kb, a.k.rowStride, s, d, sp, kt);
  packTransposed(job.v + base(a.v, b, h), a.v.rowStride, s, d, sp, vt);
  for (int i = 0; i < a.l; i++) {
    const int n = a.causal ? std::min(s, i + 1) : s;
    const float* qi = qb + i * a.q.rowStride;
    const float* gi = gb + i * a.out.rowStride;
    weights(qi, kt, sp, d, n, a.scale, p);
    // dP = g·vᵀ, then the softmax Jacobian: dS = P ⊙ (dP − Σ dP·P), times the scale
    combineRows(gi, vt, sp, d, std::min(roundUp(n, V), sp), ds);
    const int nv = std::min(roundUp(n, V), sp);
    const float t = dotPadded(ds, p, n, nv);
    for (int jb = 0; jb < nv; jb += V) storeu(ds + jb, loadu(p + jb) * (loadu(ds + jb) - splat(t)) * splat(a.scale));
    combineRows(ds, kb, a.k.rowStride, n, d, job.dq + base(a.q, b, h) + i * a.q.rowStride);
    for (int j = 0; j < n; j++) {
      axpy(accK + (long)j * dr, qi, ds[j], d);
      axpy(accV + (long)j * dr, gi, p[j], d);
    }
  }
  float* dkb = job.dk + base(a.k, b, h);
  float* dvb = job.dv + base(a.v, b, h);
  for (int j = 0; j < s; j++) {
    std::copy_n(accK + (long)j * dr, d, dkb + j * a.k.rowStride);
    std::copy_n(accV + (long)j * dr, d, dvb + j * a.v.rowStride);
  }
}

// below this many multiply-adds a job runs on the calling thread alone
int threadsFor(const AttentionArgs& a, int threads, double perElement) {
  return (double)a.batch * a.heads * a.l * a.s * a.d * perElement < (1 << 17) ? 1 : threads;
}

}  // namespace

void attentionF32(const float* q, const float* k, const float* v, const AttentionArgs& a, float* out, int threads) {
  if (a.batch <= 0 || a.heads <= 0 || a.l <= 0 || a.s <= 0 || a.d <= 0) return;
  Job job{q, k, v, nullptr, out, nullptr, nullptr, nullptr, &a};
  sharedPool().run(a.batch * a.heads, threadsFor(a, threads, 2), forwardHead, &job);
}

void attentionGradF32(const float* q, const float* k, const float* v, const float* g, const AttentionArgs& a,
                      float* dq, float* dk, float* dv, int threads) {
  if (a.batch <= 0 || a.heads <= 0 || a.l <= 0 || a.s <= 0 || a.d <= 0) return;
  Job job{q, k, v, g, nullptr, dq, dk, dv, &a};
  sharedPool().run(a.batch * a.heads, threadsFor(a, threads, 5), gradHead, &job);
}

}  // namespace bp
