/**
 * float16 / bfloat16 rounding against bit patterns computed by PyTorch (float32 inputs) and by
 * exact one-step rounding (float64 inputs, where PyTorch rounds twice, through float32).
 * The reference table is test/fixtures/half_rounding.json, made by test/fixtures/make_safetensors.py.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bfloat16Bits, bfloat16Value, float16Bits, float16Value } from '../../src/io/half.js';

// build/test/io/half.test.js → repo root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const table = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'half_rounding.json'), 'utf8')) as {
  float32: [string, string, string][];
  float64: [string, string, string, string, string][];
};

const view = new DataView(new ArrayBuffer(8));
const fromF32Bits = (hex: string): number => { view.setUint32(0, parseInt(hex, 16)); return view.getFloat32(0); };
const fromF64Bits = (hex: string): number => { view.setBigUint64(0, BigInt(`0x${hex}`)); return view.getFloat64(0); };
const hex4 = (b: number): string => b.toString(16).padStart(4, '0');
const isF16NaN = (b: number): boolean => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
const isBF16NaN = (b: number): boolean => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;

test('the reference table has the edge cases it claims', () => {
  const f32 = new Set(table.float32.map((r) => r[0]));
  // overflow midpoint, smallest subnormal tie, subnormal→normal tie, a tie to even at 1, NaN
  for (const bits of ['477ff000', '33000000', '387fe000', '3f801000', '7fc00000', '7f7f8000']) assert.ok(f32.has(bits), bits);
  assert.ok(table.float32.length > 1000 && table.float64.length > 300);
  // the float64 cases include some where PyTorch's double rounding gives other bits than one rounding
  assert.ok(table.float64.some(([, f16, , tf16]) => f16 !== tf16));
  assert.ok(table.float64.some(([, , bf16, , tbf16]) => bf16 !== tbf16));
});

test('float32 → float16 gives PyTorch\'s bits on every edge value and 1000 random bit patterns', () => {
  const bad: string[] = [];
  for (const [bits, f16] of table.float32) {
    const got = float16Bits(fromF32Bits(bits));
    if (got !== parseInt(f16, 16)) bad.push(`${bits}: got ${hex4(got)}, torch ${f16}`);
  }
  assert.deepEqual(bad, []);
});

test('float32 → bfloat16 gives PyTorch\'s bits (any NaN for a NaN: PyTorch\'s vector path writes ffff)', () => {
  const bad: string[] = [];
  for (const [bits, , bf16] of table.float32) {
    const want = parseInt(bf16, 16);
    const got = bfloat16Bits(fromF32Bits(bits));
    if (isBF16NaN(want) ? !isBF16NaN(got) : got !== want) bad.push(`${bits}: got ${hex4(got)}, torch ${bf16}`);
  }
  assert.deepEqual(bad, []);
});

test('float64 → float16 and bfloat16 round once, correctly', () => {
  const bad: string[] = [];
  for (const [bits, f16, bf16] of table.float64) {
    const x = fromF64Bits(bits);
    if (float16Bits(x) !== parseInt(f16, 16)) bad.push(`f16 ${bits}: got ${hex4(float16Bits(x))}, want ${f16}`);
    if (bfloat16Bits(x) !== parseInt(bf16, 16)) bad.push(`bf16 ${bits}: got ${hex4(bfloat16Bits(x))}, want ${bf16}`);
  }
  assert.deepEqual(bad, []);
});

test('decoding is exact: every one of the 65536 patterns survives decode → encode', () => {
  for (let b = 0; b < 0x10000; b++) {
    const h = float16Value(b);
    if (isF16NaN(b)) assert.ok(Number.isNaN(h) && isF16NaN(float16Bits(h)), hex4(b));
    else assert.equal(float16Bits(h), b, `float16 ${hex4(b)} → ${h}`);
    const g = bfloat16Value(b);
    if (isBF16NaN(b)) assert.ok(Number.isNaN(g) && isBF16NaN(bfloat16Bits(g)), hex4(b));
    else assert.equal(bfloat16Bits(g), b, `bfloat16 ${hex4(b)} → ${g}`);
    // and each value is a float32, so a float32 tensor holds it exactly
    assert.ok(Object.is(Math.fround(h), h) || Number.isNaN(h));
  }
  assert.equal(float16Value(0x7bff), 65504);
  assert.equal(float16Value(0x0001), 2 ** -24);
  assert.equal(bfloat16Value(0x0001), 2 ** -133);
});
