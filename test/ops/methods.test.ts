import test from 'node:test';
import assert from 'node:assert/strict';
import * as bp from '../../src/index.js';
import { Generator, Tensor, tensor } from '../../src/index.js';

/** Each fluent method added by issue 9 gives what its function form gives. */
const g = new Generator(12);
const x = bp.randn([3, 4], { dtype: 'float64', generator: g });
const p = x.abs().add(0.5);
const y = bp.randn([4], { dtype: 'float64', generator: g });
const idx = tensor([[0, 2], [1, 1], [3, 0]], { dtype: 'int32' });
const flat = (r: Tensor | Tensor[] | bp.SortResult): number[][] =>
  (r instanceof Tensor ? [r] : Array.isArray(r) ? r : [r.values, r.indices]).map((t) => Array.from(t.data));

const pairs: [string, () => Tensor | Tensor[] | bp.SortResult, () => Tensor | Tensor[] | bp.SortResult][] = [
  ['sin', () => x.sin(), () => bp.sin(x)], ['cos', () => x.cos(), () => bp.cos(x)], ['tan', () => x.tan(), () => bp.tan(x)],
  ['asin', () => x.div(4).asin(), () => bp.asin(x.div(4))], ['acos', () => x.div(4).acos(), () => bp.acos(x.div(4))],
  ['atan', () => x.atan(), () => bp.atan(x)], ['atan2', () => x.atan2(y), () => bp.atan2(x, y)],
  ['sinh', () => x.sinh(), () => bp.sinh(x)], ['cosh', () => x.cosh(), () => bp.cosh(x)],
  ['log1p', () => p.log1p(), () => bp.log1p(p)], ['expm1', () => x.expm1(), () => bp.expm1(x)],
  ['log2', () => p.log2(), () => bp.log2(p)], ['log10', () => p.log10(), () => bp.log10(p)],
  ['rsqrt', () => p.rsqrt(), () => bp.rsqrt(p)], ['reciprocal', () => p.reciprocal(), () => bp.reciprocal(p)],
  ['square', () => x.square(), () => bp.square(x)], ['sign', () => x.sign(), () => bp.sign(x)],
  ['floor', () => x.floor(), () => bp.floor(x)], ['ceil', () => x.ceil(), () => bp.ceil(x)],
  ['round', () => x.round(), () => bp.round(x)], ['trunc', () => x.trunc(), () => bp.trunc(x)],
  ['fmod', () => x.fmod(0.3), () => bp.fmod(x, 0.3)], ['remainder', () => x.remainder(y), () => bp.remainder(x, y)],
  ['lerp', () => x.lerp(y, 0.2), () => bp.lerp(x, y, 0.2)], ['addcmul', () => x.addcmul(y, x, { value: 3 }), () => bp.addcmul(x, y, x, { value: 3 })],
  ['nanToNum', () => x.log().nanToNum(), () => bp.nanToNum(x.log())],
  ['silu', () => x.silu(), () => bp.silu(x)], ['mish', () => x.mish(), () => bp.mish(x)], ['selu', () => x.selu(), () => bp.selu(x)],
  ['celu', () => x.celu(2), () => bp.celu(x, 2)], ['hardtanh', () => x.hardtanh(), () => bp.hardtanh(x)], ['relu6', () => x.relu6(), () => bp.relu6(x)],
  ['hardswish', () => x.hardswish(), () => bp.hardswish(x)], ['hardsigmoid', () => x.hardsigmoid(), () => bp.hardsigmoid(x)],
  ['logsigmoid', () => x.logsigmoid(), () => bp.logsigmoid(x)], ['softsign', () => x.softsign(), () => bp.softsign(x)],
  ['prelu', () => x.prelu(y), () => bp.prelu(x, y)], ['glu', () => x.glu(), () => bp.glu(x)],
  ['bmm', () => x.unsqueeze(0).bmm(x.T.unsqueeze(0)), () => bp.bmm(x.unsqueeze(0), x.T.unsqueeze(0))],
  ['outer', () => y.outer(y), () => bp.outer(y, y)], ['dot', () => y.dot(y), () => bp.dot(y, y)],
  ['diag', () => y.diag(1), () => bp.diag(y, 1)], ['diagonal', () => x.diagonal(1), () => bp.diagonal(x, 1)], ['trace', () => x.trace(), () => bp.trace(x)],
  ['narrow', () => x.narrow(1, 1, 2), () => bp.narrow(x, 1, 1, 2)], ['chunk', () => x.chunk(2, 1), () => bp.chunk(x, 2, 1)],
  ['unbind', () => x.unbind(), () => bp.unbind(x)], ['movedim', () => x.movedim(0, 1), () => bp.movedim(x, 0, 1)],
  ['roll', () => x.roll(1, 1), () => bp.roll(x, 1, 1)], ['flip', () => x.flip(0), () => bp.flip(x, 0)],
  ['repeat', () => x.repeat([2, 1]), () => bp.repeat(x, [2, 1])], ['tile', () => x.tile([2]), () => bp.tile(x, [2])],
  ['repeatInterleave', () => x.repeatInterleave(2, 0), () => bp.repeatInterleave(x, 2, 0)],
  ['tril', () => x.tril(1), () => bp.tril(x, 1)], ['triu', () => x.triu(), () => bp.triu(x)],
  ['maskedFill', () => x.maskedFill(x.gt(0), 7), () => bp.maskedFill(x, x.gt(0), 7)],
  ['scatter', () => x.scatter(1, idx, -1), () => bp.scatter(x, 1, idx, -1)],
  ['scatterAdd', () => x.scatterAdd(1, idx, x), () => bp.scatterAdd(x, 1, idx, x)],
  ['indexAdd', () => x.indexAdd(0, tensor([2], { dtype: 'int32' }), y.unsqueeze(0)), () => bp.indexAdd(x, 0, tensor([2], { dtype: 'int32' }), y.unsqueeze(0))],
  ['takeAlongDim', () => x.takeAlongDim(idx, 1), () => bp.takeAlongDim(x, idx, 1)],
  ['amax', () => x.amax(0), () => bp.amax(x, 0)], ['amin', () => x.amin(), () => bp.amin(x)],
  ['prod', () => x.prod(1), () => bp.prod(x, 1)], ['cumsum', () => x.cumsum(1), () => bp.cumsum(x, 1)], ['cumprod', () => x.cumprod(0), () => bp.cumprod(x, 0)],
  ['norm', () => x.norm(1, 0), () => bp.norm(x, 1, 0)], ['std', () => x.std(1), () => bp.std(x, 1)],
  ['any', () => x.gt(1).any(1), () => bp.any(x.gt(1), 1)], ['all', () => x.gt(-1).all(), () => bp.all(x.gt(-1))],
  ['sort', () => x.sort(1, true), () => bp.sort(x, 1, true)], ['argsort', () => x.argsort(0), () => bp.argsort(x, 0)],
  ['topk', () => x.topk(2, 1, false), () => bp.topk(x, 2, 1, false)],
  ['multinomial', () => p.multinomial(2, { generator: new Generator(1) }), () => bp.multinomial(p, 2, { generator: new Generator(1) })],
];

test('the fluent methods of issue 9 match their function forms', () => {
  for (const [name, method, fn] of pairs) assert.deepEqual(flat(method()), flat(fn()), name);
  assert.deepEqual(x.isnan().toArray(), bp.isnan(x).toArray());
  assert.deepEqual(x.isfinite().toArray(), bp.isfinite(x).toArray());
});
