// See gemm.h. Loop order (per task, one output tile of one batch item): k in blocks of KC, B's
// panel for the tile packed once per k-block; rows in blocks of MC, A's block packed; then for each
// NR-wide micro-panel of B (kept in L1) every MR-row sliver of A runs the micro-kernel, which holds
// an MR x NR block of C in registers for the whole k-block.
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "pool.h"
#include "simd.h"

namespace bp {

#if defined(__AVX512F__)
constexpr int MR = 8;  // 16 accumulators of 32 zmm registers
#else
constexpr int MR = 6;  // 12 accumulators of 16 ymm registers (AVX), or 16 NEON/SSE registers
#endif
constexpr int NR = 2 * V;
constexpr int KC = 256;
constexpr int MC = 96;   // a multiple of MR for every V above
constexpr int NC = 256;  // widest tile: its packed B panel (KC x NC) stays in L2
static_assert(MC % MR == 0, "MC must hold whole slivers");
static_assert(NC % NR == 0, "NC must hold whole panels");

int gemmVectorFloats() { return V; }

// C[0:MR, 0:NR] (+)= Ap (kc x MR slivers) * Bp (kc x NR panel); rows/cols beyond mr/nr are dropped.
static inline void micro(int kc, const float* __restrict ap, const float* __restrict bp, float* c, int ldc,
                         int mr, int nr, bool accumulate) {
  vf acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = vf{};
  for (int p = 0; p < kc; p++) {
    const vf b0 = *reinterpret_cast<const vf*>(bp);
    const vf b1 = *reinterpret_cast<const vf*>(bp + V);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const vf a = vf{} + ap[i];
      acc[i][0] += a * b0;
      acc[i][1] += a * b1;
    }
    ap += MR;
    bp += NR;
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      float* row = c + (long)i * ldc;
      if (accumulate) {
        storeu(row, loadu(row) + acc[i][0]);
        storeu(row + V, loadu(row + V) + acc[i][1]);
      } else {
        storeu(row, acc[i][0]);
        storeu(row + V, acc[i][1]);
      }
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; i++) {
    storeu(tile + i * NR, acc[i][0]);
    storeu(tile + i * NR + V, acc[i][1]);
  }
  for (int i = 0; i < mr; i++) {
    float* row = c + (long)i * ldc;
    const float* t = tile + i * NR;
    if (accumulate) {
      for (int j = 0; j < nr; j++) row[j] += t[j];
    } else {
      for (int j = 0; j < nr; j++) row[j] = t[j];
    }
  }
}

struct Plan {
  int mt, nt, tilesM, tilesN, tasks;
};

static int roundUp(int x, int q) { return (x + q - 1) / q * q; }
static int ceilDiv(int x, int q) { return (x + q - 1) / q; }

// Output tiles of at most 128 rows and NC columns, split further until every thread has a few tasks.
static Plan plan(int batch, int m, int n, int k, int threads) {
  int tilesN = ceilDiv(n, NC);
  int tilesM = ceilDiv(m, 128);
  if (threads > 1) {
    const double macs = (double)batch * m * n * k;
    const int maxTasks = std::max(threads, (int)std::min(1e6, macs / (1 << 16)));
    const int want = std::min(4 * threads, maxTasks);
    for (;;) {
      const long tasks = (long)batch * tilesM * tilesN;
      if (tasks >= want) break;
      const bool canM = ceilDiv(m, tilesM + 1) >= 2 * MR;
      const bool canN = ceilDiv(n, tilesN + 1) >= 2 * NR;
      if (canM && (!canN || (double)m / tilesM >= (double)n / tilesN)) tilesM++;
      else if (canN) tilesN++;
      else break;
    }
  }
  Plan p;
  p.nt = roundUp(ceilDiv(n, tilesN), NR);
  p.tilesN = ceilDiv(n, p.nt);
  p.mt = roundUp(ceilDiv(m, tilesM), MR);
  p.tilesM = ceilDiv(m, p.mt);
  p.tasks = batch * p.tilesM * p.tilesN;
  return p;
}

struct Job {
  GemmArgs g;
  Plan p;
};

struct Scratch {
  std::vector<float> a, b;
  float* aligned(std::vector<float>& v, size_t floats) {
    if (v.size() < floats + 16) v.resize(floats + 16);
    uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
    return reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
  }
};

static Scratch& scratch() {
  static thread_local Scratch s;
  return s;
}

// B[p0:p0+kc, j0:j0+nc] into NR-wide panels, zero-padded past n.
static void packB(const float* b, int n, int k, bool transB, int p0, int kc, int j0, int nc, float* out) {
  for (int jp = 0; jp < nc; jp += NR) {
    float* dst = out + (long)jp * kc;
    const int cols = std::min(NR, n - (j0 + jp));
    if (!transB) {
      const float* src = b + (long)p0 * n + j0 + jp;
      for (int p = 0; p < kc; p++, dst += NR, src += n) {
        if (cols == NR) {
          std::memcpy(dst, src, NR * sizeof(float));
        } else {
          for (int j = 0; j < cols; j++) dst[j] = src[j];
          for (int j = cols; j < NR; j++) dst[j] = 0;
        }
      }
    } else {
      // B stored [n, k]: column j of op(B) is row j of B
      for (int j = 0; j < NR; j++) {
        if (j < cols) {
          const float* src = b + (long)(j0 + jp + j) * k + p0;
          for (int p = 0; p < kc; p++) dst[p * NR + j] = src[p];
        } else {
          for (int p = 0; p < kc; p++) dst[p * NR + j] = 0;
        }
      }
    }
  }
}

// A[i0:i0+mc, p0:p0+kc] into MR-row slivers, zero-padded past m.
static void packA(const float* a, int m, int k, bool transA, int i0, int mc, int p0, int kc, float* out) {
  for (int ir = 0; ir < mc; ir += MR) {
    float* dst = out + (long)ir * kc;
    const int rows = std::min(MR, m - (i0 + ir));
    if (transA) {
      // A stored [k, m]: a row of the storage holds one k for every i
      const float* src = a + (long)p0 * m + i0 + ir;
      for (int p = 0; p < kc; p++, dst += MR, src += m) {
        for (int i = 0; i < rows; i++) dst[i] = src[i];
        for (int i = rows; i < MR; i++) dst[i] = 0;
      }
    } else {
      for (int i = 0; i < MR; i++) {
        if (i < rows) {
          const float* src = a + (long)(i0 + ir + i) * k + p0;
          for (int p = 0; p < kc; p++) dst[p * MR + i] = src[p];
        } else {
          for (int p = 0; p < kc; p++) dst[p * MR + i] = 0;
        }
      }
    }
  }
}

static void runTask(void* ctx, int task, int /*thread*/) {
  const Job& job = *static_cast<const Job*>(ctx);
  const GemmArgs& g = job.g;
  const Plan& pl = job.p;
  const int perItem = pl.tilesM * pl.tilesN;
  const int item = task / perItem;
  const int tile = task % perItem;
  const int tm = tile / pl.tilesN, tn = tile % pl.tilesN;
  const int m0 = tm * pl.mt, n0 = tn * pl.nt;
  const int mEnd = std::min(g.m, m0 + pl.mt), nEnd = std::min(g.n, n0 + pl.nt);
  const int ntPad = roundUp(nEnd - n0, NR);
  const float* a = g.a + (g.aOffsets ? (long)g.aOffsets[item] : (long)item * g.m * g.k);
  const float* b = g.b + (g.bOffsets ? (long)g.bOffsets[item] : (long)item * g.k * g.n);
  float* c = g.c + (long)item * g.m * g.n;

  Scratch& s = scratch();
  float* bp = s.aligned(s.b, (size_t)KC * ntPad);
  float* ap = s.aligned(s.a, (size_t)KC * MC);
  for (int p0 = 0; p0 < g.k; p0 += KC) {
    const int kc = std::min(KC, g.k - p0);
    packB(b, g.n, g.k, g.transB, p0, kc, n0, ntPad, bp);
    for (int i0 = m0; i0 < mEnd; i0 += MC) {
      const int mc = std::min(MC, mEnd - i0);
      const int mcPad = roundUp(mc, MR);
      packA(a, g.m, g.k, g.transA, i0, mcPad, p0, kc, ap);
      for (int jr = 0; jr < ntPad; jr += NR) {
        const int nr = std::min(NR, nEnd - (n0 + jr));
        for (int ir = 0; ir < mcPad; ir += MR) {
          const int mr = std::min(MR, mEnd - (i0 + ir));
          micro(kc, ap + (long)ir * kc, bp + (long)jr * kc, c + (long)(i0 + ir) * g.n + n0 + jr, g.n, mr, nr, p0 > 0);
        }
      }
    }
  }
}

void sgemm(const GemmArgs& g, int threads) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  if (g.k <= 0) {
    std::memset(g.c, 0, sizeof(float) * (size_t)g.batch * g.m * g.n);
    return;
  }
  const double macs = (double)g.batch * g.m * g.n * g.k;
  if (macs < (1 << 17)) threads = 1;  // below this, waking a thread costs more than it saves
  Job job{g, plan(g.batch, g.m, g.n, g.k, threads)};
  sharedPool().run(job.p.tasks, threads, runTask, &job);
}

}  // namespace bp
