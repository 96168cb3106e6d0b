import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, gradcheck, randn, ShapeError, Tensor, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose, f64 } from './helpers.js';

const g = new Generator(3);

/** A direct, loop-by-loop convolution to compare against. */
function naiveConv(x: Tensor, w: Tensor, b: Tensor | null, s: [number, number], p: [number, number], d: [number, number], groups: number): number[] {
  const [n, cIn, h, wd] = x.shape as number[] as [number, number, number, number];
  const [cOut, cg, kh, kw] = w.shape as number[] as [number, number, number, number];
  const oh = Math.floor((h + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out: number[] = [];
  const og = cOut / groups;
  for (let b0 = 0; b0 < n; b0++) for (let co = 0; co < cOut; co++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let acc = b ? b.data[co]! : 0;
    const grp = Math.floor(co / og);
    for (let ci = 0; ci < cg; ci++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
      const y = i * s[0] - p[0] + u * d[0], xx = j * s[1] - p[1] + v * d[1];
      if (y < 0 || y >= h || xx < 0 || xx >= wd) continue;
      acc += x.data[((b0 * cIn + grp * cg + ci) * h + y) * wd + xx]! * w.data[((co * cg + ci) * kh + u) * kw + v]!;
    }
    out.push(acc);
  }
  void cIn;
  return out;
}

test('Conv2d on a tiny input by hand: plain, stride+padding, dilation, groups', () => {
  const x = f64([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
  const ones = (c: nn.Conv2d): nn.Conv2d => { c.weight.data.fill(1); c.bias?.data.fill(0); return c; };
  assertClose(ones(new nn.Conv2d(1, 1, 2).to('float64')).forward(x), [12, 16, 24, 28]);
  // windows at (−1,−1), (−1,1), (1,−1), (1,1) over zero padding
  assertClose(ones(new nn.Conv2d(1, 1, 2, { stride: 2, padding: 1 }).to('float64')).forward(x), [1, 5, 11, 28]);
  // a dilated 2×2 kernel touches the four corners
  assertClose(ones(new nn.Conv2d(1, 1, 2, { dilation: 2 }).to('float64')).forward(x), [1 + 3 + 7 + 9]);
  const grouped = new nn.Conv2d(2, 2, 1, { groups: 2 }).to('float64');
  assert.deepEqual(grouped.weight.shape, [2, 1, 1, 1]);
  grouped.weight.data.set([2, 3]);
  grouped.bias!.data.set([1, 0]);
  assertClose(grouped.forward(f64([[[[1, 2]], [[10, 20]]]])), [3, 5, 30, 60]);
});

test('Conv2d matches a direct convolution with every option at once', () => {
  const conv = new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2, generator: g }).to('float64');
  const x = randn([2, 4, 6, 5], { dtype: 'float64', generator: g });
  const y = conv.forward(x);
  assertClose(y, naiveConv(x, conv.weight, conv.bias, [2, 1], [1, 2], [1, 2], 2), 1e-12);
  assert.deepEqual(conv.forward(x.sliceDim(0, 0, 1).squeeze(0)).shape, y.shape.slice(1), 'unbatched CHW input');
});

test('Conv2d initializes weight and bias in ±1/√(cIn/groups·kH·kW)', () => {
  const conv = new nn.Conv2d(8, 16, 3, { groups: 2 });
  const bound = 1 / Math.sqrt(4 * 9);
  for (const p of [conv.weight, conv.bias!]) assert.ok(Array.from(p.data).every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...conv.weight.data) > 0.9 * bound);
});

test('gradcheck: Conv2d with respect to input, weight and bias', () => {
  const conv = new nn.Conv2d(2, 4, 2, { stride: 2, padding: 1, dilation: [2, 1], groups: 2 });
  assert.equal(gradcheck((x, w, b) => {
    conv.weight = w!;
    conv.bias = b!;
    return conv.forward(x!);
  }, [randn([1, 2, 5, 4], { generator: g }), randn([4, 1, 2, 2], { generator: g }), randn([4], { generator: g })]).passed, true);
});

test('Conv2d rejects wrong channels and bad groups', () => {
  const conv = new nn.Conv2d(3, 16, 3);
  assert.throws(() => conv.forward(randn([8, 1, 28, 28])), (e: unknown) =>
    e instanceof ShapeError && e.message === 'Conv2d(3→16, 3x3): expected input [N, 3, H, W], got [8,1,28,28]');
  assert.throws(() => conv.forward(randn([8, 3])), ShapeError);
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), ValueError);
});
