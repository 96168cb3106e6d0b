import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blobs, circles, moons, spirals, xor, type Synthetic2D, type SyntheticOptions } from '../../src/data/index.js';
import { ValueError } from '../../src/errors.js';

const makers: Record<string, (o: SyntheticOptions) => Synthetic2D> = {
  spirals: (o) => spirals({ ...o, classes: 3 }),
  moons,
  circles,
  xor,
  blobs: (o) => blobs({ ...o, classes: 4 }),
};

function counts(d: Synthetic2D): number[] {
  const c = new Array<number>(d.numClasses).fill(0);
  for (const v of d.y.data) c[v]! += 1;
  return c;
}

for (const [name, make] of Object.entries(makers)) {
  test(`${name}: shapes, dtypes, balance and determinism by seed`, () => {
    const d = make({ n: 203, seed: 5 });
    assert.deepEqual(d.x.shape, [203, 2]);
    assert.deepEqual(d.y.shape, [203]);
    assert.equal(d.x.dtype, 'float32');
    assert.equal(d.y.dtype, 'int32');
    const c = counts(d);
    assert.equal(c.reduce((a, b) => a + b, 0), 203);
    assert.ok(Math.max(...c) - Math.min(...c) <= 1, `unbalanced classes ${c}`);
    assert.deepEqual(Array.from(make({ n: 203, seed: 5 }).x.data), Array.from(d.x.data));
    assert.notDeepEqual(Array.from(make({ n: 203, seed: 6 }).x.data), Array.from(d.x.data));
    // shuffled: the first 20 labels are not all one class
    assert.ok(new Set(Array.from(d.y.data).slice(0, 20)).size > 1);
    assert.ok(d.x.data.every(Number.isFinite));
    assert.throws(() => make({ n: -1 }), ValueError);
  });
}

test('noise-free geometry', () => {
  const c = circles({ n: 100, noise: 0, factor: 0.3 });
  for (let i = 0; i < 100; i++) {
    const r = Math.hypot(c.x.data[2 * i]!, c.x.data[2 * i + 1]!);
    assert.ok(Math.abs(r - (c.y.data[i] === 0 ? 1 : 0.3)) < 1e-6);
  }
  const x = xor({ n: 100, noise: 0 });
  for (let i = 0; i < 100; i++) {
    const differ = Math.sign(x.x.data[2 * i]!) !== Math.sign(x.x.data[2 * i + 1]!);
    assert.equal(x.y.data[i], differ ? 1 : 0);
  }
  const m = moons({ n: 100, noise: 0 });
  for (let i = 0; i < 100; i++) {
    const [a, b] = [m.x.data[2 * i]!, m.x.data[2 * i + 1]!];
    const r = m.y.data[i] === 0 ? Math.hypot(a, b) : Math.hypot(a - 1, b - 0.5);
    assert.ok(Math.abs(r - 1) < 1e-6);
  }
  const s = spirals({ n: 90, classes: 3, noise: 0 });
  assert.equal(s.numClasses, 3);
  assert.ok(s.x.data.every((v) => Math.abs(v) <= 1));
  const b = blobs({ n: 300, classes: 3, noise: 0.1, radius: 2 });
  // each cluster's mean lies on the circle of radius 2
  for (let k = 0; k < 3; k++) {
    let sx = 0, sy = 0, n = 0;
    for (let i = 0; i < 300; i++) if (b.y.data[i] === k) { sx += b.x.data[2 * i]!; sy += b.x.data[2 * i + 1]!; n++; }
    assert.ok(Math.abs(Math.hypot(sx / n, sy / n) - 2) < 0.05);
  }
});
