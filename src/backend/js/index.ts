import type {
  AdamHyper, ArgReduceOp, Backend, BiasActivation, BinaryOp, Conv2dArgs, CrossEntropyArgs, DType, MatmulArgs, ReduceOp,
  SgdHyper, Shape, TypedArray, UnaryOp, ActGradActivation,
} from '../backend.js';
import { erf } from './erf.js';

/**
 * The reference backend: plain TypeScript loops over typed arrays. Every faster backend is tested
 * against it. It favours clarity, but keeps loop orders cache-friendly so that the reference is
 * usable for real training (e.g. all three matmul transpose cases stream memory contiguously).
 */
export class JsBackend implements Backend {
  readonly name: string = 'js';

  alloc(dtype: DType, size: number): TypedArray {
    switch (dtype) {
      case 'float32': return new Float32Array(size);
      case 'float64': return new Float64Array(size);
      case 'int32': return new Int32Array(size);
    }
  }

  unary(op: UnaryOp, x: TypedArray, out: TypedArray, param = 0): void {
    unaryLoop(op, x, out, param);
  }

  binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void {
    const n = out.length;
    if (a.length === n && b.length === n) return binLoop(op, a, 0, 1, b, 0, 1, out, 0, n);
    if (b.length === 1 && a.length === n) return binLoop(op, a, 0, 1, b, 0, 0, out, 0, n);
    if (a.length === 1 && b.length === n) return binLoop(op, a, 0, 0, b, 0, 1, out, 0, n);
    const plan = broadcastPlan(outShape, [aShape, bShape]);
    const [sa, sb] = plan.strides as [number[], number[]];
    const last = plan.shape.length - 1;
    const inner = plan.shape[last]!;
    const ia = sa[last]!, ib = sb[last]!;
    forEachOuter(plan.shape, plan.strides, (offs, o) => binLoop(op, a, offs[0]!, ia, b, offs[1]!, ib, out, o, inner));
  }

  where(cond: TypedArray, condShape: Shape, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape, out: TypedArray, outShape: Shape): void {
    const plan = broadcastPlan(outShape, [condShape, aShape, bShape]);
    const last = plan.shape.length - 1;
    const inner = plan.shape[last]!;
    const [sc, sa, sb] = plan.strides.map((s) => s[last]!) as [number, number, number];
    forEachOuter(plan.shape, plan.strides, (offs, o) => {
      let c = offs[0]!, ia = offs[1]!, ib = offs[2]!;
      for (let i = 0; i < inner; i++, c += sc, ia += sa, ib += sb) out[o + i] = cond[c] !== 0 ? a[ia]! : b[ib]!;
    });
  }

  clamp(x: TypedArray, lo: number, hi: number, out: TypedArray): void {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }

  reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[], out: TypedArray): void {
    if (x.length === 0) {
      out.fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
      return;
    }
    let src = x;
    let srcShape = shape;
    let ax = axes;
    if (!isContiguousRun(axes)) {
      // move the reduced axes to the end so they form one contiguous block
      const keep = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const perm = [...keep, ...axes];
      srcShape = perm.map((p) => shape[p]!);
      src = this.alloc(dtypeOf(x), x.length);
      this.permute(x, shape, perm, src);
      ax = axes.map((_, i) => keep.length + i);
    }
    let outer = 1, red = 1, inner = 1;
    for (let i = 0; i < srcShape.length; i++) {
      if (i < ax[0]!) outer *= srcShape[i]!;
      else if (i <= ax[ax.length - 1]!) red *= srcShape[i]!;
      else inner *= srcShape[i]!;
    }
    if (ax.length === 0) { out.set(src); return; }
    reduceBlock(op, src, outer, red, inner, out);
  }

  argReduce(op: ArgReduceOp, x: TypedArray, shape: Shape, axis: number, out: Int32Array): void {
    const [outer, red, inner] = splitAt(shape, axis);
    const isMax = op === 'argmax';
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * red * inner + j;
        let best = x[base]!, bi = 0;
        for (let r = 1; r < red; r++) {
          const v = x[base + r * inner]!;
          // NaN wins, as in PyTorch: it propagates instead of hiding
          if (isMax ? v > best || (v !== v && best === best) : v < best || (v !== v && best === best)) { best = v; bi = r; }
        }
        out[o * inner + j] = bi;
      }
    }
  }

  actGrad(act: ActGradActivation, g: TypedArray, y: TypedArray, out: TypedArray): void {
    const n = out.length;
    switch (act) {
      case 'sigmoid': for (let i = 0; i < n; i++) { const v = y[i]!; out[i] = g[i]! * (v * (1 - v)); } return;
      case 'tanh': for (let i = 0; i < n; i++) { const v = y[i]!; out[i] = g[i]! * (1 - v * v); } return;
      case 'relu': for (let i = 0; i < n; i++) out[i] = y[i]! > 0 ? g[i]! : 0; return;
    }
  }

  biasAct(act: BiasActivation, z: TypedArray, bias: TypedArray, out: TypedArray): void {
    const cols = bias.length;
    const rows = cols === 0 ? 0 : z.length / cols;
    // row by row: the sum is written (rounded to out's dtype) and mapped while still in cache
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) out[o + j] = z[o + j]! + bias[j]!;
      if (act !== 'none') {
        const row = out.subarray(o, o + cols);
        unaryLoop(act, row, row, 0);
      }
    }
  }

  crossEntropy(z: TypedArray, targets: Int32Array, weight: TypedArray | null, a: CrossEntropyArgs, out: TypedArray): void {
    const { rows: m, cols: c, labelSmoothing: eps, ignoreIndex } = a;
    const w = weight;
    for (let i = 0; i < m; i++) {
      const ti = targets[i]!;
      if (ti === ignoreIndex) { out[i] = 0; continue; }
      const off = i * c;
      let mx = -Infinity;
      for (let k = 0; k < c; k++) if (z[off + k]! > mx) mx = z[off + k]!;
      let se = 0;
      for (let k = 0; k < c; k++) se += Math.exp(z[off + k]! - mx);
      // lse is log Σ exp(z − max): every −log p_k below is lse − (z_k − max) ≥ 0
      const lse = Math.log(se);
      let loss = (1 - eps) * (w ? w[ti]! : 1) * (lse - (z[off + ti]! - mx));
      if (eps > 0) {
        let s = 0;
        for (let k = 0; k < c; k++) s += (w ? w[k]! : 1) * (lse - (z[off + k]! - mx));
        loss += (eps / c) * s;
      }
      out[i] = loss;
    }
  }

  crossEntropyGrad(z: TypedArray, targets: Int32Array, weight: TypedArray | null, g: TypedArray, a: CrossEntropyArgs, out: TypedArray): void {
    const { rows: m, cols: c, labelSmoothing: eps, ignoreIndex } = a;
    const w = weight;
    for (let i = 0; i < m; i++) {
      const ti = targets[i]!;
      const off = i * c;
      if (ti === ignoreIndex) { for (let k = 0; k < c; k++) out[off + k] = 0; continue; }
      let mx = -Infinity;
      for (let k = 0; k < c; k++) if (z[off + k]! > mx) mx = z[off + k]!;
      let se = 0;
      for (let k = 0; k < c; k++) se += Math.exp(z[off + k]! - mx);
      // Σ_c q_ic: 1 for unweighted rows, else the smoothed weight mass
      const qt = (1 - eps) * (w ? w[ti]! : 1);
      let rowSum = qt;
      if (eps > 0) for (let k = 0; k < c; k++) rowSum += (eps / c) * (w ? w[k]! : 1);
      const gi = g[i]!, scale = rowSum / se;
      for (let k = 0; k < c; k++) {
        let q = eps > 0 ? (eps / c) * (w ? w[k]! : 1) : 0;
        if (k === ti) q += qt;
        out[off + k] = (Math.exp(z[off + k]! - mx) * scale - q) * gi;
      }
    }
  }

  sgdStep(x: TypedArray, g: TypedArray, buf: Float64Array | null, h: SgdHyper): void {
    const { lr, momentum: mu, dampening, nesterov, weightDecay: wd, maximize, first } = h;
    if (buf === null && wd === 0 && !maximize) {
      // plain SGD, the common case: a branch-free loop V8 compiles tightly
      for (let i = 0; i < x.length; i++) x[i] = x[i]! - lr * g[i]!;
      return;
    }
    for (let i = 0; i < x.length; i++) {
      let gi = maximize ? -g[i]! : g[i]!;
      if (wd !== 0) gi += wd * x[i]!;
      if (buf !== null) {
        const b = first ? gi : mu * buf[i]! + (1 - dampening) * gi;
        buf[i] = b;
        gi = nesterov ? gi + mu * b : b;
      }
      x[i] = x[i]! - lr * gi;
    }
  }

  adamStep(x: TypedArray, g: TypedArray, m: Float64Array, v: Float64Array, vmax: Float64Array | null, h: AdamHyper): void {
    const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, maximize, decoupled, step: t } = h;
    const stepSize = lr / (1 - b1 ** t);
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    for (let i = 0; i < x.length; i++) {
      let xi = x[i]!;
      let gi = maximize ? -g[i]! : g[i]!;
      if (wd !== 0) {
        if (decoupled) xi *= 1 - lr * wd;
        else gi += wd * xi;
      }
      const mi = b1 * m[i]! + (1 - b1) * gi;
      const vi = b2 * v[i]! + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      let denomV = vi;
      if (vmax !== null) {
        denomV = Math.max(vmax[i]!, vi);
        vmax[i] = denomV;
      }
      x[i] = xi - (stepSize * mi) / (Math.sqrt(denomV) / bc2Sqrt + eps);
    }
  }

  matmul(a: TypedArray, b: TypedArray, out: TypedArray, args: MatmulArgs): void {
    const { batch, m, n, k, transA, transB } = args;
    const acc = new Float64Array(n);
    for (let t = 0; t < batch; t++) {
      const ao = args.aOffsets ? args.aOffsets[t]! : t * m * k;
      const bo = args.bOffsets ? args.bOffsets[t]! : t * k * n;
      const co = t * m * n;
      if (!transB) {
        // C[i,:] += A[i,p] * B[p,:]: the inner loop walks B and C rows contiguously
        for (let i = 0; i < m; i++) {
          acc.fill(0);
          for (let p = 0; p < k; p++) {
            const aip = transA ? a[ao + p * m + i]! : a[ao + i * k + p]!;
            const bRow = bo + p * n;
            for (let j = 0; j < n; j++) acc[j]! += aip * b[bRow + j]!;
          }
          for (let j = 0; j < n; j++) out[co + i * n + j] = acc[j]!;
        }
      } else if (!transA) {
        // C[i,j] = A[i,:] . B[j,:]: both rows contiguous
        for (let i = 0; i < m; i++) {
          const aRow = ao + i * k;
          for (let j = 0; j < n; j++) {
            const bRow = bo + j * k;
            let s = 0;
            for (let p = 0; p < k; p++) s += a[aRow + p]! * b[bRow + p]!;
            out[co + i * n + j] = s;
          }
        }
      } else {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            const bRow = bo + j * k;
            let s = 0;
            for (let p = 0; p < k; p++) s += a[ao + p * m + i]! * b[bRow + p]!;
            out[co + i * n + j] = s;
          }
        }
      }
    }
  }

  permute(x: TypedArray, shape: Shape, perm: readonly number[], out: TypedArray): void {
    const xs = stridesOf(shape);
    stridedCopy(x, 0, perm.map((p) => xs[p]!), perm.map((p) => shape[p]!), out);
  }

  expand(x: TypedArray, shape: Shape, out: TypedArray, outShape: Shape): void {
    const xs = stridesOf(shape).map((s, i) => (shape[i] === 1 ? 0 : s));
    stridedCopy(x, 0, xs, outShape, out);
  }

  slice(x: TypedArray, shape: Shape, begin: readonly number[], step: readonly number[], out: TypedArray, outShape: Shape): void {
    const xs = stridesOf(shape);
    let off = 0;
    for (let i = 0; i < shape.length; i++) off += begin[i]! * xs[i]!;
    stridedCopy(x, off, xs.map((s, i) => s * step[i]!), outShape, out);
  }

  sliceAdd(x: TypedArray, sliceShape: Shape, begin: readonly number[], step: readonly number[], out: TypedArray, shape: Shape): void {
    const os = stridesOf(shape);
    let off = 0;
    for (let i = 0; i < shape.length; i++) off += begin[i]! * os[i]!;
    const dst = os.map((s, i) => s * step[i]!);
    if (sizeOfShape(sliceShape) === 0) return;
    const rank = sliceShape.length;
    if (rank === 0) { out[off]! += x[0]!; return; }
    const idx = new Array<number>(rank).fill(0);
    const inner = sliceShape[rank - 1]!, ds = dst[rank - 1]!;
    let src = 0;
    for (;;) {
      let o = off;
      for (let d = 0; d < rank - 1; d++) o += idx[d]! * dst[d]!;
      for (let i = 0; i < inner; i++) out[o + i * ds]! += x[src++]!;
      let d = rank - 2;
      while (d >= 0) {
        if (++idx[d]! < sliceShape[d]!) break;
        idx[d] = 0;
        d--;
      }
      if (d < 0) return;
    }
  }

  indexSelect(x: TypedArray, shape: Shape, axis: number, index: Int32Array, out: TypedArray): void {
    const [outer, red, inner] = splitAt(shape, axis);
    const m = index.length;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < m; i++) {
        const src = (o * red + index[i]!) * inner;
        const dst = (o * m + i) * inner;
        for (let j = 0; j < inner; j++) out[dst + j] = x[src + j]!;
      }
    }
  }

  indexAdd(g: TypedArray, axis: number, index: Int32Array, out: TypedArray, shape: Shape): void {
    const [outer, red, inner] = splitAt(shape, axis);
    const m = index.length;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < m; i++) {
        const dst = (o * red + index[i]!) * inner;
        const src = (o * m + i) * inner;
        for (let j = 0; j < inner; j++) out[dst + j]! += g[src + j]!;
      }
    }
  }

  gather(x: TypedArray, shape: Shape, axis: number, index: Int32Array, indexShape: Shape, out: TypedArray): void {
    const xs = stridesOf(shape);
    forEachIndex(indexShape, (pos, flat) => {
      let off = 0;
      for (let d = 0; d < pos.length; d++) off += (d === axis ? index[flat]! : pos[d]!) * xs[d]!;
      out[flat] = x[off]!;
    });
  }

  scatterAdd(g: TypedArray, indexShape: Shape, axis: number, index: Int32Array, out: TypedArray, shape: Shape): void {
    const os = stridesOf(shape);
    forEachIndex(indexShape, (pos, flat) => {
      let off = 0;
      for (let d = 0; d < pos.length; d++) off += (d === axis ? index[flat]! : pos[d]!) * os[d]!;
      out[off]! += g[flat]!;
    });
  }

  im2col(x: TypedArray, cols: TypedArray, a: Conv2dArgs): void {
    const cg = a.cIn / a.groups;
    const { h, w, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = a;
    let dst = 0;
    for (let b = 0; b < a.n; b++) {
      for (let g = 0; g < a.groups; g++) {
        for (let c = 0; c < cg; c++) {
          const xBase = ((b * a.cIn) + g * cg + c) * h * w;
          for (let ki = 0; ki < a.kh; ki++) {
            for (let kj = 0; kj < a.kw; kj++) {
              // the output columns whose input column ix = ox·strideW + off falls inside the image
              const off = kj * dilationW - padW;
              const lo = Math.min(outW, Math.max(0, Math.ceil(-off / strideW)));
              const hi = Math.max(lo, Math.min(outW, Math.ceil((w - off) / strideW)));
              for (let oy = 0; oy < outH; oy++, dst += outW) {
                const iy = oy * strideH - padH + ki * dilationH;
                if (iy < 0 || iy >= h) { for (let ox = 0; ox < outW; ox++) cols[dst + ox] = 0; continue; }
                const row = xBase + iy * w + off;
                // rows are short (a few dozen values), so plain loops beat subarray/fill objects
                for (let ox = 0; ox < lo; ox++) cols[dst + ox] = 0;
                if (strideW === 1) for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[row + ox]!;
                else for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[row + ox * strideW]!;
                for (let ox = hi; ox < outW; ox++) cols[dst + ox] = 0;
              }
            }
          }
        }
      }
    }
  }

  poolArgmax(x: TypedArray, a: Conv2dArgs, out: Int32Array): void {
    const planes = a.n * a.cIn, hw = a.h * a.w;
    let o = 0;
    for (let p = 0; p < planes; p++) {
      const base = p * hw;
      for (let oy = 0; oy < a.outH; oy++) {
        for (let ox = 0; ox < a.outW; ox++, o++) {
          let best = -Infinity, bi = -1;
          for (let ki = 0; ki < a.kh; ki++) {
            const iy = oy * a.strideH - a.padH + ki * a.dilationH;
            if (iy < 0 || iy >= a.h) continue;
            for (let kj = 0; kj < a.kw; kj++) {
              const ix = ox * a.strideW - a.padW + kj * a.dilationW;
              if (ix < 0 || ix >= a.w) continue;
              const idx = base + iy * a.w + ix;
              const v = x[idx]!;
              if (bi < 0 || v > best || (v !== v && best === best)) { best = v; bi = idx; }
            }
          }
          out[o] = bi;
        }
      }
    }
  }

  col2im(cols: TypedArray, out: TypedArray, a: Conv2dArgs): void {
    const cg = a.cIn / a.groups;
    const { h, w, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = a;
    let src = 0;
    for (let b = 0; b < a.n; b++) {
      for (let g = 0; g < a.groups; g++) {
        for (let c = 0; c < cg; c++) {
          const xBase = ((b * a.cIn) + g * cg + c) * h * w;
          for (let ki = 0; ki < a.kh; ki++) {
            for (let kj = 0; kj < a.kw; kj++) {
              // the same in-image column range as im2col
              const off = kj * dilationW - padW;
              const lo = Math.min(outW, Math.max(0, Math.ceil(-off / strideW)));
              const hi = Math.max(lo, Math.min(outW, Math.ceil((w - off) / strideW)));
              for (let oy = 0; oy < outH; oy++, src += outW) {
                const iy = oy * strideH - padH + ki * dilationH;
                if (iy < 0 || iy >= h) continue;
                const row = xBase + iy * w + off;
                for (let ox = lo; ox < hi; ox++) out[row + ox * strideW]! += cols[src + ox]!;
              }
            }
          }
        }
      }
    }
  }

}

const INV_SQRT_2PI = 0.3989422804014327;

/** The elementwise maps, shared by unary and biasAct so both round identically. */
function unaryLoop(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): void {
  const n = x.length;
  switch (op) {
    case 'copy': out.set(x); return;
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]!; return;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!); return;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!); return;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!); return;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!); return;
    case 'sign': for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]!); return;
    case 'reciprocal': for (let i = 0; i < n; i++) out[i] = 1 / x[i]!; return;
    case 'square': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v * v; } return;
    case 'floor': for (let i = 0; i < n; i++) out[i] = Math.floor(x[i]!); return;
    case 'step': for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? 1 : 0; return;
    case 'isfinite': for (let i = 0; i < n; i++) out[i] = Number.isFinite(x[i]!) ? 1 : 0; return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        // split by sign so exp never overflows
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else { const e = Math.exp(v); out[i] = e / (1 + e); }
      }
      return;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!); return;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : 0; } return;
    case 'softplus':
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|
      for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))); }
      return;
    case 'erf': for (let i = 0; i < n; i++) out[i] = erf(x[i]!); return;
    case 'leakyRelu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : v * param; } return;
    case 'leakyReluGrad': for (let i = 0; i < n; i++) out[i] = x[i]! > 0 ? 1 : param; return;
    case 'elu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : param * Math.expm1(v); } return;
    case 'eluGrad': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? 1 : param * Math.exp(v); } return;
    case 'powScalar':
      if (param === 2) for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v * v; }
      else for (let i = 0; i < n; i++) out[i] = Math.pow(x[i]!, param);
      return;
    case 'gelu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = 0.5 * v * (1 + erf(v * Math.SQRT1_2)); } return;
    case 'geluGrad':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        out[i] = 0.5 * (1 + erf(v * Math.SQRT1_2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
      }
      return;
  }
}

function dtypeOf(x: TypedArray): DType {
  return x instanceof Float32Array ? 'float32' : x instanceof Float64Array ? 'float64' : 'int32';
}

function sizeOfShape(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

function isContiguousRun(axes: readonly number[]): boolean {
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return false;
  return true;
}

/** (outer, axis size, inner) around one axis. */
function splitAt(shape: Shape, axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

function reduceBlock(op: ReduceOp, x: TypedArray, outer: number, red: number, inner: number, out: TypedArray): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * red;
      if (op === 'sum') {
        let s = 0;
        for (let r = 0; r < red; r++) s += x[base + r]!;
        out[o] = s;
      } else {
        let s = x[base]!;
        const isMax = op === 'max';
        for (let r = 1; r < red; r++) {
          const v = x[base + r]!;
          if (v !== v) { s = v; break; }
          if (isMax ? v > s : v < s) s = v;
        }
        out[o] = s;
      }
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * red * inner;
    for (let j = 0; j < inner; j++) acc[j] = op === 'sum' ? 0 : x[base + j]!;
    for (let r = op === 'sum' ? 0 : 1; r < red; r++) {
      const row = base + r * inner;
      if (op === 'sum') for (let j = 0; j < inner; j++) acc[j]! += x[row + j]!;
      else if (op === 'max') for (let j = 0; j < inner; j++) { const v = x[row + j]!; if (v > acc[j]! || v !== v) acc[j] = v; }
      else for (let j = 0; j < inner; j++) { const v = x[row + j]!; if (v < acc[j]! || v !== v) acc[j] = v; }
    }
    for (let j = 0; j < inner; j++) out[o * inner + j] = acc[j]!;
  }
}

interface Plan { shape: number[]; strides: number[][] }

/** Per-input strides over the output shape (0 where an input is broadcast), with dims merged where possible. */
function broadcastPlan(outShape: Shape, inShapes: readonly Shape[]): Plan {
  const rank = outShape.length;
  const strides = inShapes.map((s) => {
    const full = stridesOf(s);
    const r = new Array<number>(rank).fill(0);
    for (let i = 0; i < s.length; i++) {
      const oi = rank - s.length + i;
      r[oi] = s[i] === 1 ? 0 : full[i]!;
    }
    return r;
  });
  // merge adjacent dims that are contiguous for every input, so inner loops are long
  const shape: number[] = [];
  const merged: number[][] = inShapes.map(() => []);
  for (let i = 0; i < rank; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && strides.every((s, k) => merged[k]![last] === s[i]! * d)) {
      shape[last] = shape[last]! * d;
      strides.forEach((s, k) => { merged[k]![last] = s[i]!; });
    } else {
      shape.push(d);
      strides.forEach((s, k) => merged[k]!.push(s[i]!));
    }
  }
  if (shape.length === 0) return { shape: [1], strides: inShapes.map(() => [0]) };
  return { shape, strides: merged };
}

/** Calls fn(inputOffsets, outOffset) for every position of all dims but the last. */
function forEachOuter(shape: number[], strides: number[][], fn: (offs: number[], o: number) => void): void {
  const rank = shape.length;
  const inner = shape[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  const offs = strides.map(() => 0);
  let o = 0;
  for (;;) {
    fn(offs, o);
    o += inner;
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      for (let k = 0; k < offs.length; k++) offs[k]! += strides[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < offs.length; k++) offs[k]! -= strides[k]![d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

/** out (contiguous, `shape`) = x read at offset + sum(idx * strides). */
function stridedCopy(x: TypedArray, offset: number, strides: readonly number[], shape: Shape, out: TypedArray): void {
  const n = out.length;
  if (n === 0) return;
  const rank = shape.length;
  if (rank === 0) { out[0] = x[offset]!; return; }
  const inner = shape[rank - 1]!, si = strides[rank - 1]!;
  const idx = new Array<number>(rank).fill(0);
  let src = offset, o = 0;
  for (;;) {
    if (si === 1) for (let i = 0; i < inner; i++) out[o + i] = x[src + i]!;
    else for (let i = 0; i < inner; i++) out[o + i] = x[src + i * si]!;
    o += inner;
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= strides[d]! * shape[d]!;
      idx[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

function forEachIndex(shape: Shape, fn: (pos: number[], flat: number) => void): void {
  const n = sizeOfShape(shape);
  const pos = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(pos, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
}

function binLoop(op: BinaryOp, a: TypedArray, ao: number, sa: number, b: TypedArray, bo: number, sb: number, out: TypedArray, oo: number, n: number): void {
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! + b[bo + i * sb]!; return;
    case 'sub': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! - b[bo + i * sb]!; return;
    case 'mul': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! * b[bo + i * sb]!; return;
    case 'div':
      if (out instanceof Int32Array) for (let i = 0; i < n; i++) out[oo + i] = Math.trunc(a[ao + i * sa]! / b[bo + i * sb]!);
      else for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! / b[bo + i * sb]!;
      return;
    case 'pow': for (let i = 0; i < n; i++) out[oo + i] = Math.pow(a[ao + i * sa]!, b[bo + i * sb]!); return;
    case 'maximum': for (let i = 0; i < n; i++) { const x = a[ao + i * sa]!, y = b[bo + i * sb]!; out[oo + i] = x !== x || x >= y ? x : y; } return;
    case 'minimum': for (let i = 0; i < n; i++) { const x = a[ao + i * sa]!, y = b[bo + i * sb]!; out[oo + i] = x !== x || x <= y ? x : y; } return;
    case 'eq': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! === b[bo + i * sb]! ? 1 : 0; return;
    case 'ne': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! !== b[bo + i * sb]! ? 1 : 0; return;
    case 'lt': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! < b[bo + i * sb]! ? 1 : 0; return;
    case 'le': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! <= b[bo + i * sb]! ? 1 : 0; return;
    case 'gt': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! > b[bo + i * sb]! ? 1 : 0; return;
    case 'ge': for (let i = 0; i < n; i++) out[oo + i] = a[ao + i * sa]! >= b[bo + i * sb]! ? 1 : 0; return;
  }
}
