// The Node-API surface of the native CPU kernels (loaded by src/backend/native). Every function
// checks its arguments' types and lengths itself, so a bad call throws instead of touching memory
// outside the arrays it was given; the TypeScript side checks them first with typed errors.
#include <cstdio>
#include <exception>
#include <string>

#include "activation.h"
#include "attention.h"
#include "elementwise.h"
#include "gemm.h"
#include "napi.h"
#include "rows.h"

namespace {

struct Ctx {
  napi_env env;
  napi_value argv[16];
  size_t argc = 16;
  bool failed = false;

  Ctx(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }

  napi_value fail(const std::string& msg) {
    if (!failed) napi_throw_error(env, "ERR_BACKPROP_NATIVE", msg.c_str());
    failed = true;
    return nullptr;
  }

  double f64(size_t i, const char* what) {
    double v = 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail(std::string("native: ") + what + " must be a number");
    return v;
  }

  int i32(size_t i, const char* what) {
    int32_t v = 0;
    if (i >= argc || napi_get_value_int32(env, argv[i], &v) != napi_ok) fail(std::string("native: ") + what + " must be a number");
    return v;
  }

  bool flag(size_t i, const char* what) {
    bool v = false;
    if (i >= argc || napi_get_value_bool(env, argv[i], &v) != napi_ok) fail(std::string("native: ") + what + " must be a boolean");
    return v;
  }

  // A typed array of the given type (or null where `nullable`); its element count in *len.
  void* array(size_t i, napi_typedarray_type want, const char* what, size_t* len, bool nullable = false) {
    *len = 0;
    if (i >= argc) {
      fail(std::string("native: missing argument ") + what);
      return nullptr;
    }
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    if (nullable && (t == napi_null || t == napi_undefined)) return nullptr;
    bool isTa = false;
    napi_is_typedarray(env, argv[i], &isTa);
    napi_typedarray_type type;
    void* data = nullptr;
    if (!isTa || napi_get_typedarray_info(env, argv[i], &type, len, &data, nullptr, nullptr) != napi_ok || type != want) {
      fail(std::string("native: ") + what + (want == napi_float32_array ? " must be a Float32Array" : " must be an Int32Array"));
      return nullptr;
    }
    return data;
  }
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// Whether [a, a+aLen) and [b, b+bLen) share memory: a kernel writing one while reading the other
// would read its own output.
bool overlap(const float* a, size_t aLen, const float* b, size_t bLen) { return a < b + bLen && b < a + aLen; }

// sgemm(a, b, c, batch, m, n, k, transA, transB, aOffsets | null, bOffsets | null, threads)
napi_value Sgemm(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t aLen, bLen, cLen, aoLen, boLen;
  bp::GemmArgs g{};
  g.a = static_cast<const float*>(x.array(0, napi_float32_array, "a", &aLen));
  g.b = static_cast<const float*>(x.array(1, napi_float32_array, "b", &bLen));
  g.c = static_cast<float*>(x.array(2, napi_float32_array, "out", &cLen));
  g.batch = x.i32(3, "batch");
  g.m = x.i32(4, "m");
  g.n = x.i32(5, "n");
  g.k = x.i32(6, "k");
  g.transA = x.flag(7, "transA");
  g.transB = x.flag(8, "transB");
  g.aOffsets = static_cast<const int32_t*>(x.array(9, napi_int32_array, "aOffsets", &aoLen, true));
  g.bOffsets = static_cast<const int32_t*>(x.array(10, napi_int32_array, "bOffsets", &boLen, true));
  const int threads = x.i32(11, "threads");
  if (x.failed) return nullptr;
  if (g.batch < 0 || g.m < 0 || g.n < 0 || g.k < 0) return x.fail("native sgemm: negative dimension");
  const double mk = (double)g.m * g.k, kn = (double)g.k * g.n, mn = (double)g.m * g.n;
  if ((double)cLen < g.batch * mn) return x.fail("native sgemm: out too short");
  auto checkOperand = [&](const int32_t* offs, size_t offLen, size_t len, double size, const char* name) -> bool {
    if (!offs) return (double)len >= g.batch * size;
    if ((long)offLen < g.batch) return false;
    for (int i = 0; i < g.batch; i++) {
      if (offs[i] < 0 || offs[i] + size > (double)len) return false;
    }
    (void)name;
    return true;
  };
  if (!checkOperand(g.aOffsets, aoLen, aLen, mk, "a")) return x.fail("native sgemm: a (or aOffsets) out of range");
  if (!checkOperand(g.bOffsets, boLen, bLen, kn, "b")) return x.fail("native sgemm: b (or bOffsets) out of range");
  // the output must not overlap an input: the kernel writes C while it still reads A and B
  const size_t cUsed = (size_t)(g.batch * mn);
  if (overlap(g.c, cUsed, g.a, aLen) || overlap(g.c, cUsed, g.b, bLen)) return x.fail("native sgemm: out overlaps an input");
  try {
    bp::sgemm(g, threads < 1 ? 1 : threads);
  } catch (const std::exception& e) {  // std::bad_alloc for scratch, std::system_error for a thread
    return x.fail(std::string("native sgemm: ") + e.what());
  }
  return undefined(env);
}

// arith(op, a, b, out): out = a op b elementwise (op 0..3: + - * /), b as long as out or one element
napi_value ArithF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  const int op = x.i32(0, "op");
  size_t aLen, bLen, oLen;
  const float* a = static_cast<const float*>(x.array(1, napi_float32_array, "a", &aLen));
  const float* b = static_cast<const float*>(x.array(2, napi_float32_array, "b", &bLen));
  float* out = static_cast<float*>(x.array(3, napi_float32_array, "out", &oLen));
  if (x.failed) return nullptr;
  if (op < 0 || op > 3) return x.fail("native arith: op must be 0..3");
  if (aLen != oLen || (bLen != oLen && bLen != 1)) return x.fail("native arith: a and out must have one length, b that length or 1");
  bp::arithF32(static_cast<bp::Arith>(op), a, b, bLen, out, oLen);
  return undefined(env);
}

// adam(x, g, m, v, b1, b2, c1, c2, eps, stepSize, bc2Sqrt, decay, l2): one Adam/AdamW step in place
napi_value AdamF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t n, gLen, mLen, vLen;
  float* w = static_cast<float*>(x.array(0, napi_float32_array, "x", &n));
  const float* g = static_cast<const float*>(x.array(1, napi_float32_array, "g", &gLen));
  float* m = static_cast<float*>(x.array(2, napi_float32_array, "m", &mLen));
  float* v = static_cast<float*>(x.array(3, napi_float32_array, "v", &vLen));
  bp::AdamScalars s{x.f64(4, "b1"), x.f64(5, "b2"), x.f64(6, "c1"), x.f64(7, "c2"), x.f64(8, "eps"),
                    x.f64(9, "stepSize"), x.f64(10, "bc2Sqrt"), x.f64(11, "decay"), x.f64(12, "l2")};
  if (x.failed) return nullptr;
  if (gLen != n || mLen != n || vLen != n) return x.fail("native adam: x, g, m and v must have one length");
  bp::adamF32(w, g, m, v, n, s);
  return undefined(env);
}

// gelu(x, out, threads)
napi_value GeluF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t n, oLen;
  const float* in = static_cast<const float*>(x.array(0, napi_float32_array, "x", &n));
  float* out = static_cast<float*>(x.array(1, napi_float32_array, "out", &oLen));
  const int threads = x.i32(2, "threads");
  if (x.failed) return nullptr;
  if (oLen != n) return x.fail("native gelu: x and out must have one length");
  if (overlap(in, n, out, oLen)) return x.fail("native gelu: out overlaps x");
  bp::geluF32(in, out, n, threads < 1 ? 1 : threads);
  return undefined(env);
}

// geluGrad(g, x, y, out, threads)
napi_value GeluGradF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t gLen, n, yLen, oLen;
  const float* g = static_cast<const float*>(x.array(0, napi_float32_array, "g", &gLen));
  const float* in = static_cast<const float*>(x.array(1, napi_float32_array, "x", &n));
  const float* y = static_cast<const float*>(x.array(2, napi_float32_array, "y", &yLen));
  float* out = static_cast<float*>(x.array(3, napi_float32_array, "out", &oLen));
  const int threads = x.i32(4, "threads");
  if (x.failed) return nullptr;
  if (gLen != n || yLen != n || oLen != n) return x.fail("native geluGrad: g, x, y and out must have one length");
  if (overlap(g, n, out, n) || overlap(in, n, out, n) || overlap(y, n, out, n)) return x.fail("native geluGrad: out overlaps an input");
  bp::geluGradF32(g, in, y, out, n, threads < 1 ? 1 : threads);
  return undefined(env);
}

// The attention arguments from an Int32Array [batch, heads, l, s, d, causal, then offset,
// batchStride, headStride, rowStride of q, k, v and out] and the scale. Every layout must stay
// inside its array (lens: q, k, v, out).
bool attentionArgs(Ctx& x, size_t at, const size_t lens[4], bp::AttentionArgs* a) {
  size_t n;
  const int32_t* v = static_cast<const int32_t*>(x.array(at, napi_int32_array, "args", &n));
  a->scale = (float)x.f64(at + 1, "scale");
  if (x.failed) return false;
  if (n != 22) {
    x.fail("native attention: args must hold 22 integers");
    return false;
  }
  a->batch = v[0], a->heads = v[1], a->l = v[2], a->s = v[3], a->d = v[4], a->causal = v[5] != 0;
  if (a->batch < 0 || a->heads < 0 || a->l < 0 || a->s < 0 || a->d < 0) {
    x.fail("native attention: negative dimension");
    return false;
  }
  bp::Layout* ls[4] = {&a->q, &a->k, &a->v, &a->out};
  const int rows[4] = {a->l, a->s, a->s, a->l};
  for (int i = 0; i < 4; i++) {
    const int32_t* p = v + 6 + 4 * i;
    *ls[i] = bp::Layout{p[0], p[1], p[2], p[3]};
    if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0) {
      x.fail("native attention: negative offset or stride");
      return false;
    }
    if (a->batch == 0 || a->heads == 0 || rows[i] == 0 || a->d == 0) continue;
    const double last = (double)p[0] + (double)(a->batch - 1) * p[1] + (double)(a->heads - 1) * p[2] + (double)(rows[i] - 1) * p[3] + (a->d - 1);
    if (last >= (double)lens[i]) {
      x.fail("native attention: a layout reaches past the end of its array");
      return false;
    }
  }
  return true;
}

// attention(q, k, v, out, args, scale, threads)
napi_value AttentionF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t lens[4];
  const float* q = static_cast<const float*>(x.array(0, napi_float32_array, "q", &lens[0]));
  const float* k = static_cast<const float*>(x.array(1, napi_float32_array, "k", &lens[1]));
  const float* v = static_cast<const float*>(x.array(2, napi_float32_array, "v", &lens[2]));
  float* out = static_cast<float*>(x.array(3, napi_float32_array, "out", &lens[3]));
  bp::AttentionArgs a{};
  if (x.failed || !attentionArgs(x, 4, lens, &a)) return nullptr;
  const int threads = x.i32(6, "threads");
  if (x.failed) return nullptr;
  if (overlap(out, lens[3], q, lens[0]) || overlap(out, lens[3], k, lens[1]) || overlap(out, lens[3], v, lens[2])) {
    return x.fail("native attention: out overlaps an input");
  }
  bp::attentionF32(q, k, v, a, out, threads < 1 ? 1 : threads);
  return undefined(env);
}

// attentionGrad(q, k, v, g, dq, dk, dv, args, scale, threads); dq, dk, dv may be one array
napi_value AttentionGradF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t lens[4], gLen, dLens[3];
  const float* q = static_cast<const float*>(x.array(0, napi_float32_array, "q", &lens[0]));
  const float* k = static_cast<const float*>(x.array(1, napi_float32_array, "k", &lens[1]));
  const float* v = static_cast<const float*>(x.array(2, napi_float32_array, "v", &lens[2]));
  const float* g = static_cast<const float*>(x.array(3, napi_float32_array, "g", &gLen));
  float* dq = static_cast<float*>(x.array(4, napi_float32_array, "dq", &dLens[0]));
  float* dk = static_cast<float*>(x.array(5, napi_float32_array, "dk", &dLens[1]));
  float* dv = static_cast<float*>(x.array(6, napi_float32_array, "dv", &dLens[2]));
  if (x.failed) return nullptr;
  // the layouts must fit the inputs and, as the gradients take the same layouts, the outputs
  lens[3] = gLen;
  bp::AttentionArgs a{};
  if (!attentionArgs(x, 7, lens, &a)) return nullptr;
  const size_t outLens[4] = {dLens[0], dLens[1], dLens[2], gLen};
  if (!attentionArgs(x, 7, outLens, &a)) return nullptr;
  const int threads = x.i32(9, "threads");
  if (x.failed) return nullptr;
  const float* ins[4] = {q, k, v, g};
  const size_t inLens[4] = {lens[0], lens[1], lens[2], gLen};
  float* outs[3] = {dq, dk, dv};
  for (int o = 0; o < 3; o++) {
    for (int i = 0; i < 4; i++) {
      if (overlap(outs[o], dLens[o], ins[i], inLens[i])) return x.fail("native attentionGrad: an output overlaps an input");
    }
  }
  bp::attentionGradF32(q, k, v, g, a, dq, dk, dv, threads < 1 ? 1 : threads);
  return undefined(env);
}

// layerNorm(x, w | null, b | null, rows, cols, eps, out)
napi_value LayerNormF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t xLen, wLen, bLen, oLen;
  const float* in = static_cast<const float*>(x.array(0, napi_float32_array, "x", &xLen));
  const float* w = static_cast<const float*>(x.array(1, napi_float32_array, "w", &wLen, true));
  const float* b = static_cast<const float*>(x.array(2, napi_float32_array, "b", &bLen, true));
  const int rows = x.i32(3, "rows"), cols = x.i32(4, "cols");
  const float eps = (float)x.f64(5, "eps");
  float* out = static_cast<float*>(x.array(6, napi_float32_array, "out", &oLen));
  if (x.failed) return nullptr;
  const double n = (double)rows * cols;
  if (rows < 0 || cols <= 0 || (double)xLen < n || (double)oLen < n || (w && wLen < (size_t)cols) || (b && bLen < (size_t)cols)) {
    return x.fail("native layerNorm: arrays shorter than rows x cols (or w, b shorter than cols)");
  }
  if (overlap(out, oLen, in, xLen) || (w && overlap(out, oLen, w, wLen)) || (b && overlap(out, oLen, b, bLen))) {
    return x.fail("native layerNorm: out overlaps an input");
  }
  bp::layerNormF32(in, w, b, rows, cols, eps, out);
  return undefined(env);
}

// layerNormGrad(g, x, w | null, rows, cols, eps, dx, dw | null, db | null)
napi_value LayerNormGradF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t gLen, xLen, wLen, dxLen, dwLen, dbLen;
  const float* g = static_cast<const float*>(x.array(0, napi_float32_array, "g", &gLen));
  const float* in = static_cast<const float*>(x.array(1, napi_float32_array, "x", &xLen));
  const float* w = static_cast<const float*>(x.array(2, napi_float32_array, "w", &wLen, true));
  const int rows = x.i32(3, "rows"), cols = x.i32(4, "cols");
  const float eps = (float)x.f64(5, "eps");
  float* dx = static_cast<float*>(x.array(6, napi_float32_array, "dx", &dxLen));
  float* dw = static_cast<float*>(x.array(7, napi_float32_array, "dw", &dwLen, true));
  float* db = static_cast<float*>(x.array(8, napi_float32_array, "db", &dbLen, true));
  if (x.failed) return nullptr;
  const double n = (double)rows * cols;
  if (rows < 0 || cols <= 0 || (double)gLen < n || (double)xLen < n || (double)dxLen < n || (w && wLen < (size_t)cols)
      || (dw && dwLen < (size_t)cols) || (db && dbLen < (size_t)cols)) {
    return x.fail("native layerNormGrad: arrays shorter than rows x cols (or w, dw, db shorter than cols)");
  }
  const float* ins[3] = {g, in, w};
  const size_t inLens[3] = {gLen, xLen, wLen};
  float* outs[3] = {dx, dw, db};
  const size_t outLens[3] = {dxLen, dwLen, dbLen};
  for (int o = 0; o < 3; o++) {
    for (int i = 0; i < 3; i++) {
      if (outs[o] && ins[i] && overlap(outs[o], outLens[o], ins[i], inLens[i])) return x.fail("native layerNormGrad: an output overlaps an input");
    }
  }
  bp::layerNormGradF32(g, in, w, rows, cols, eps, dx, dw, db);
  return undefined(env);
}

// The targets must each be a class index or the ignored index: the kernels index by them.
bool checkTargets(Ctx& x, const int32_t* t, size_t tLen, const bp::CrossEntropyArgs& a, const char* op) {
  if ((long)tLen < a.rows) {
    x.fail(std::string("native ") + op + ": fewer targets than rows");
    return false;
  }
  for (int i = 0; i < a.rows; i++) {
    if (t[i] != a.ignoreIndex && (t[i] < 0 || t[i] >= a.cols)) {
      x.fail(std::string("native ") + op + ": target " + std::to_string(t[i]) + " of row " + std::to_string(i) + " is outside [0, " + std::to_string(a.cols) + ")");
      return false;
    }
  }
  return true;
}

// crossEntropy(z, targets, w | null, rows, cols, labelSmoothing, ignoreIndex, out)
napi_value CrossEntropyF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t zLen, tLen, wLen, oLen;
  const float* z = static_cast<const float*>(x.array(0, napi_float32_array, "z", &zLen));
  const int32_t* t = static_cast<const int32_t*>(x.array(1, napi_int32_array, "targets", &tLen));
  const float* w = static_cast<const float*>(x.array(2, napi_float32_array, "w", &wLen, true));
  bp::CrossEntropyArgs a{x.i32(3, "rows"), x.i32(4, "cols"), (float)x.f64(5, "labelSmoothing"), x.i32(6, "ignoreIndex")};
  float* out = static_cast<float*>(x.array(7, napi_float32_array, "out", &oLen));
  if (x.failed) return nullptr;
  if (a.rows < 0 || a.cols <= 0 || (double)zLen < (double)a.rows * a.cols || (long)oLen < a.rows || (w && wLen < (size_t)a.cols)) {
    return x.fail("native crossEntropy: z shorter than rows x cols, out than rows, or w than cols");
  }
  if (overlap(out, oLen, z, zLen) || (w && overlap(out, oLen, w, wLen))) return x.fail("native crossEntropy: out overlaps an input");
  if (!checkTargets(x, t, tLen, a, "crossEntropy")) return nullptr;
  bp::crossEntropyF32(z, t, w, a, out);
  return undefined(env);
}

// crossEntropyGrad(z, targets, w | null, g, rows, cols, labelSmoothing, ignoreIndex, out)
napi_value CrossEntropyGradF32(napi_env env, napi_callback_info info) {
  Ctx x(env, info);
  size_t zLen, tLen, wLen, gLen, oLen;
  const float* z = static_cast<const float*>(x.array(0, napi_float32_array, "z", &zLen));
  const int32_t* t = static_cast<const int32_t*>(x.array(1, napi_int32_array, "targets", &tLen));
  const float* w = static_cast<const float*>(x.array(2, napi_float32_array, "w", &wLen, true));
  const float* g = static_cast<const float*>(x.array(3, napi_float32_array, "g", &gLen));
  bp::CrossEntropyArgs a{x.i32(4, "rows"), x.i32(5, "cols"), (float)x.f64(6, "labelSmoothing"), x.i32(7, "ignoreIndex")};
  float* out = static_cast<float*>(x.array(8, napi_float32_array, "out", &oLen));
  if (x.failed) return nullptr;
  const double n = (double)a.rows * a.cols;
  if (a.rows < 0 || a.cols <= 0 || (double)zLen < n || (double)oLen < n || (long)gLen < a.rows || (w && wLen < (size_t)a.cols)) {
    return x.fail("native crossEntropyGrad: z or out shorter than rows x cols, g than rows, or w than cols");
  }
  if (overlap(out, oLen, z, zLen) || overlap(out, oLen, g, gLen) || (w && overlap(out, oLen, w, wLen))) {
    return x.fail("native crossEntropyGrad: out overlaps an input");
  }
  if (!checkTargets(x, t, tLen, a, "crossEntropyGrad")) return nullptr;
  bp::crossEntropyGradF32(z, t, w, g, a, out);
  return undefined(env);
}

// Bumped whenever a function's arguments change, so a stale build is refused rather than misused.
constexpr int ABI = 4;

napi_value Abi(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, ABI, &v);
  return v;
}

napi_value VectorFloats(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_int32(env, bp::gemmVectorFloats(), &v);
  return v;
}

void define(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, (size_t)-1, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

}  // namespace

extern "C" napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  static const struct {
    const char* name;
    napi_callback fn;
  } functions[] = {
      {"abi", Abi},
      {"vectorFloats", VectorFloats},
      {"sgemm", Sgemm},
      {"arith", ArithF32},
      {"adam", AdamF32},
      {"gelu", GeluF32},
      {"geluGrad", GeluGradF32},
      {"attention", AttentionF32},
      {"attentionGrad", AttentionGradF32},
      {"layerNorm", LayerNormF32},
      {"layerNormGrad", LayerNormGradF32},
      {"crossEntropy", CrossEntropyF32},
      {"crossEntropyGrad", CrossEntropyGradF32},
  };
  for (const auto& f : functions) define(env, exports, f.name, f.fn);
  return exports;
}
