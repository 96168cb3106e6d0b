import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, listBackends, setBackend, getBackend } from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import type { Backend, BinaryOp, Conv2dArgs, TypedArray, UnaryOp, MatmulArgs } from '../../src/backend/backend.js';

/**
 * Every kernel of every fast backend against the reference backend, on random inputs of awkward
 * sizes, within float32 tolerance. A backend that inherits a kernel from the reference passes
 * it trivially; one that replaces it must agree.
 */
const ref = new JsBackend();
const g = new Generator(99);
const randArr = (n: number, lo = -2, hi = 2): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * g.random();
  return a;
};
const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

function close(name: string, got: TypedArray, want: TypedArray, rtol = 1e-5, atol = 1e-5): void {
  assert.equal(got.length, want.length, `${name}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    if (Number.isNaN(b)) { assert.ok(Number.isNaN(a), `${name}[${i}]: expected NaN, got ${a}`); continue; }
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${name}[${i}]: ${a} vs reference ${b}`);
  }
}

function run(b: Backend, k: (be: Backend) => TypedArray): [TypedArray, TypedArray] {
  return [k(b), k(ref)];
}

const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'abs', 'sign', 'reciprocal', 'square', 'sigmoid', 'tanh', 'relu', 'softplus', 'erf', 'step',
  'leakyRelu', 'leakyReluGrad', 'elu', 'eluGrad', 'powScalar', 'gelu', 'geluGrad', 'floor', 'copy'];
const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

function conformance(b: Backend): void {
  for (const n of [1, 7, 1000, 4099]) {
    const x = randArr(n, 0.1, 3);
    const xs = randArr(n, -3, 3);
    for (const op of UNARY) {
      const input = op === 'log' || op === 'sqrt' || op === 'powScalar' ? x : xs;
      const [got, want] = run(b, (be) => { const o = be.alloc('float32', n); be.unary(op, input, o, op === 'powScalar' ? 1.5 : 0.2); return o; });
      close(`unary ${op} n=${n}`, got, want);
    }
  }
  for (const act of ['sigmoid', 'tanh', 'relu'] as const) {
    const gr = randArr(1031), y = randArr(1031, -1, 1);
    const [got, want] = run(b, (be) => { const o = be.alloc('float32', 1031); be.actGrad(act, gr, y, o); return o; });
    close(`actGrad ${act}`, got, want);
  }
  const shapes: [number[], number[], number[]][] = [
    [[37], [37], [37]], [[5, 33], [33], [5, 33]], [[5, 1], [1, 17], [5, 17]], [[2, 3, 4], [3, 1], [2, 3, 4]], [[64, 130], [], [64, 130]],
  ];
  for (const [as, bs, os] of shapes) {
    const a = randArr(size(as), 0.5, 2), bb = randArr(size(bs), 0.5, 2);
    for (const op of BINARY) {
      const [got, want] = run(b, (be) => { const o = be.alloc('float32', size(os)); be.binary(op, a, as, bb, bs, o, os); return o; });
      close(`binary ${op} ${JSON.stringify([as, bs])}`, got, want);
    }
    const c = new Int32Array(size(as)).map(() => g.randint(0, 2));
    const [gw, ww] = run(b, (be) => { const o = be.alloc('float32', size(os)); be.where(c, as, a, as, bb, bs, o, os); return o; });
    close('where', gw, ww);
  }
  const x3 = randArr(4 * 5 * 67);
  for (const axes of [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]]) {
    for (const op of ['sum', 'max', 'min'] as const) {
      const outSize = size([4, 5, 67].filter((_, i) => !axes.includes(i)));
      const [got, want] = run(b, (be) => { const o = be.alloc('float32', outSize); be.reduce(op, x3, [4, 5, 67], axes, o); return o; });
      close(`reduce ${op} ${axes}`, got, want, 1e-4, 1e-4);
    }
  }
  for (const axis of [0, 1, 2]) {
    const outSize = size([4, 5, 67].filter((_, i) => i !== axis));
    const [got, want] = run(b, (be) => { const o = new Int32Array(outSize); be.argReduce('argmax', x3, [4, 5, 67], axis, o); return o; });
    close(`argmax ${axis}`, got, want, 0, 0);
  }
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 33, 65], [64, 64, 64], [130, 70, 129]] as const) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const batch = 2;
      const a = randArr(batch * m * k), bm = randArr(k * n);
      const args: MatmulArgs = { batch, m, n, k, transA, transB, aOffsets: null, bOffsets: new Int32Array(batch) };
      const [got, want] = run(b, (be) => { const o = be.alloc('float32', batch * m * n); be.matmul(a, bm, o, args); return o; });
      close(`matmul ${m}x${n}x${k} tA=${transA} tB=${transB}`, got, want, 1e-4, 1e-4);
    }
  }
  const x4 = randArr(2 * 3 * 4 * 5);
  const [gp, wp] = run(b, (be) => { const o = be.alloc('float32', x4.length); be.permute(x4, [2, 3, 4, 5], [3, 1, 0, 2], o); return o; });
  close('permute', gp, wp, 0, 0);
  const [ge, we] = run(b, (be) => { const o = be.alloc('float32', 2 * 3 * 4 * 5 * 2); be.expand(x4, [2, 3, 4, 5, 1], o, [2, 3, 4, 5, 2]); return o; });
  close('expand', ge, we, 0, 0);
  const [gs, ws] = run(b, (be) => { const o = be.alloc('float32', 1 * 2 * 2 * 3); be.slice(x4, [2, 3, 4, 5], [1, 1, 0, 0], [1, 1, 3, 2], o, [1, 2, 2, 3]); return o; });
  close('slice', gs, ws, 0, 0);
  const piece = randArr(12);
  const [gsa, wsa] = run(b, (be) => { const o = be.alloc('float32', x4.length); be.sliceAdd(piece, [1, 2, 2, 3], [1, 1, 0, 0], [1, 1, 3, 2], o, [2, 3, 4, 5]); return o; });
  close('sliceAdd', gsa, wsa, 0, 0);
  const idx = new Int32Array([3, 0, 3, 1]);
  const [gi, wi] = run(b, (be) => { const o = be.alloc('float32', 2 * 3 * 4 * 5); be.indexSelect(x4, [2, 3, 4, 5], 2, idx, o); return o; });
  close('indexSelect', gi, wi, 0, 0);
  const [gia, wia] = run(b, (be) => { const o = be.alloc('float32', x4.length); be.indexAdd(x4, 2, idx, o, [2, 3, 4, 5]); return o; });
  close('indexAdd', gia, wia);
  const gidx = new Int32Array(2 * 3).map(() => g.randint(0, 4));
  const x2 = randArr(2 * 4);
  const [gg, wg] = run(b, (be) => { const o = be.alloc('float32', 6); be.gather(x2, [2, 4], 1, gidx, [2, 3], o); return o; });
  close('gather', gg, wg, 0, 0);
  const [gsc, wsc] = run(b, (be) => { const o = be.alloc('float32', 8); be.scatterAdd(randArrFixed, [2, 3], 1, gidx, o, [2, 4]); return o; });
  close('scatterAdd', gsc, wsc);
  const args: Conv2dArgs = { n: 2, cIn: 4, h: 9, w: 8, cOut: 6, kh: 3, kw: 2, strideH: 2, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 2, groups: 2, outH: 5, outW: 7 };
  const img = randArr(2 * 4 * 9 * 8);
  const colsLen = 2 * 2 * 2 * 3 * 2 * 5 * 7;
  const [gc, wc] = run(b, (be) => { const o = be.alloc('float32', colsLen); be.im2col(img, o, args); return o; });
  close('im2col', gc, wc, 0, 0);
  const poolArgs: Conv2dArgs = { n: 2, cIn: 3, h: 9, w: 8, cOut: 3, kh: 3, kw: 2, strideH: 2, strideW: 2, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1, outH: 5, outW: 5 };
  const planes = randArr(2 * 3 * 9 * 8);
  const [gpa, wpa] = run(b, (be) => { const o = new Int32Array(2 * 3 * 5 * 5); be.poolArgmax(planes, poolArgs, o); return o; });
  close('poolArgmax', gpa, wpa, 0, 0);
  const cols = randArr(colsLen);
  const [gci, wci] = run(b, (be) => { const o = be.alloc('float32', img.length); be.col2im(cols, o, args); return o; });
  close('col2im', gci, wci);
}
const randArrFixed = randArr(6);

const fast = listBackends().filter((n) => n !== 'js');
test('conformance: the reference backend agrees with itself (harness check)', () => conformance(new JsBackend()));
for (const name of fast) {
  test(`conformance: backend '${name}' agrees with the reference on every kernel`, () => {
    const prev = getBackend();
    const b = setBackend(name);
    try {
      conformance(b);
    } finally {
      setBackend(prev.name);
    }
  });
}
