import test from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { tensor, noGrad, enableGrad, setGradEnabled, isGradEnabled, type Tensor } from '../../src/index.js';
import { ContextScopes, PromiseScopes, useGradScopes, type GradScopes } from '../../src/autograd/mode.js';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** Runs body with a given scope implementation installed, restoring the previous one. */
async function withScopes(scopes: GradScopes, body: () => Promise<void> | void): Promise<void> {
  const prev = useGradScopes(scopes);
  try {
    await body();
  } finally {
    useGradScopes(prev);
  }
}

const implementations: [string, () => GradScopes][] = [
  ['PromiseScopes (browsers)', () => new PromiseScopes()],
  ['ContextScopes (Node, AsyncLocalStorage)', () => new ContextScopes(new AsyncLocalStorage<{ enabled: boolean }>())],
];

test('the Node entry installs AsyncLocalStorage scopes', async () => {
  // an interleaved task must not see another task's noGrad: only ContextScopes gives that
  const x = tensor([1], { requiresGrad: true });
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const pending = noGrad(async () => { await gate; return x.mul(2); });
  assert.equal(x.mul(2).requiresGrad, true, 'code outside the pending noGrad records a graph');
  release();
  assert.equal((await pending).requiresGrad, false);
});

for (const [name, make] of implementations) {
  test(`${name}: noGrad(async) records no graph after its first await, and restores the mode when it settles`, async () => {
    await withScopes(make(), async () => {
      const x = tensor([1, 2], { requiresGrad: true });
      const [before, after] = await noGrad(async () => {
        const a = x.mul(2);
        await tick();
        const b = x.mul(3);
        await Promise.resolve();
        return [a, b] as const;
      });
      assert.equal(before.requiresGrad, false);
      assert.equal(after.requiresGrad, false, 'still no graph after the await');
      assert.equal(isGradEnabled(), true);
      assert.equal(x.mul(2).requiresGrad, true);
    });
  });

  test(`${name}: a rejected async scope restores the mode too; sync scopes nest`, async () => {
    await withScopes(make(), async () => {
      await assert.rejects(noGrad(async () => { await tick(); throw new Error('boom'); }), /boom/);
      assert.equal(isGradEnabled(), true);
      assert.throws(() => noGrad(() => { throw new Error('sync boom'); }), /sync boom/);
      assert.equal(isGradEnabled(), true);
      const x = tensor([1], { requiresGrad: true });
      const inner = noGrad(() => enableGrad(() => x.mul(2)));
      assert.equal(inner.requiresGrad, true, 'enableGrad inside noGrad records');
      assert.equal(noGrad(() => setGradEnabled(true, () => x.mul(2))).requiresGrad, true);
      assert.equal(enableGrad(() => setGradEnabled(false, () => x.mul(2))).requiresGrad, false);
    });
  });

  test(`${name}: enableGrad(async) inside noGrad keeps recording across awaits`, async () => {
    await withScopes(make(), async () => {
      const x = tensor([1], { requiresGrad: true });
      const y = await noGrad(() => enableGrad(async () => { await tick(); return x.mul(2); }));
      assert.equal(y.requiresGrad, true);
      assert.equal(isGradEnabled(), true);
    });
  });

  test(`${name}: overlapping async scopes may end in any order`, async () => {
    await withScopes(make(), async () => {
      const x = tensor([1], { requiresGrad: true });
      let releaseA!: () => void;
      const gateA = new Promise<void>((r) => { releaseA = r; });
      const a = noGrad(async () => { await gateA; return x.mul(2); });
      const b = noGrad(async () => {
        await tick();
        releaseA(); // a ends first
        await a;
        await tick();
        return x.mul(3); // b's scope is still open
      });
      assert.equal((await a).requiresGrad, false);
      assert.equal((await b).requiresGrad, false, 'b runs without a graph after a has ended');
      assert.equal(isGradEnabled(), true);
    });
  });

  test(`${name}: setGradEnabled without fn sets the enclosing scope, which its end restores`, async () => {
    await withScopes(make(), () => {
      const x = tensor([1], { requiresGrad: true });
      let inside: Tensor | null = null;
      enableGrad(() => {
        setGradEnabled(false);
        assert.equal(isGradEnabled(), false);
        inside = x.mul(2);
      });
      assert.equal(inside!.requiresGrad, false);
      assert.equal(isGradEnabled(), true, 'restored at the end of the scope');
      setGradEnabled(false);
      try {
        assert.equal(x.mul(2).requiresGrad, false, 'set globally outside every scope');
      } finally {
        setGradEnabled(true);
      }
      assert.equal(x.mul(2).requiresGrad, true);
    });
  });
}

test('PromiseScopes: the documented caveat, an interleaved task sees a pending scope', async () => {
  await withScopes(new PromiseScopes(), async () => {
    const x = tensor([1], { requiresGrad: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const pending = noGrad(async () => { await gate; });
    assert.equal(x.mul(2).requiresGrad, false, 'outside code runs while the scope is pending');
    assert.equal(enableGrad(() => x.mul(2)).requiresGrad, true, 'pinning it with enableGrad works');
    release();
    await pending;
    assert.equal(x.mul(2).requiresGrad, true);
  });
});
