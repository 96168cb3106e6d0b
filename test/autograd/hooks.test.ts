import test from 'node:test';
import assert from 'node:assert/strict';
import { tensor, autogradGrad, AutogradError, ShapeError, type Tensor } from '../../src/index.js';

test('registerHook sees the full gradient of a tensor, once, and may replace it', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  const h = x.mul(2);
  const seen: number[][] = [];
  const handle = h.registerHook((g) => { seen.push(Array.from(g.data)); return g.mul(10); });
  // h feeds two ops: the hook runs once with their sum
  h.mul(h).sum().add(h.sum()).backward();
  assert.deepEqual(seen, [[2 * 2 + 1, 2 * 4 + 1, 2 * 6 + 1]]);
  assert.deepEqual(Array.from(x.grad!.data), [50 * 2, 90 * 2, 130 * 2], 'the replacement flows on');
  handle.remove();
  handle.remove();
  x.grad = null;
  x.mul(2).mul(2).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data), [4, 4, 4]);
});

test('hooks on a leaf run before .grad; several run in order; autogradGrad runs them too', () => {
  const w = tensor([1, -1], { requiresGrad: true });
  const order: string[] = [];
  w.registerHook((g) => { order.push('a'); return g.mul(2); });
  w.registerHook((g) => { order.push(`b:${g.data[0]}`); });
  w.mul(3).sum().backward();
  assert.deepEqual(order, ['a', 'b:6']);
  assert.deepEqual(Array.from(w.grad!.data), [6, 6]);
  const [dw] = autogradGrad(w.mul(w).sum(), [w]);
  assert.deepEqual(Array.from(dw!.data), [4, -4]);
});

test('registerHook checks what it is given and what the hook returns', () => {
  assert.throws(() => tensor([1]).registerHook(() => undefined), AutogradError);
  const x = tensor([1, 2], { requiresGrad: true });
  x.registerHook((): Tensor => tensor([1, 2, 3]));
  assert.throws(() => x.mul(2).sum().backward(), (e: unknown) => e instanceof ShapeError && /shape \[3\] for a tensor of shape \[2\]/.test(e.message));
});
