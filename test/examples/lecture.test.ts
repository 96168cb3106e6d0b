import test from 'node:test';
import assert from 'node:assert/strict';
import { runLecture, lectureParams } from '../../examples/lecture.js';

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

test("the lecture's worked example: forward values", () => {
  const r = runLecture();
  assert.deepEqual(r.z1, [4, -2]);
  assert.equal(r.a1[0]!.toFixed(3), '0.982');
  assert.equal(r.a1[1]!.toFixed(3), '0.119');
});

test("the lecture's worked example: ∂C/∂z by the two cases, and ∂C/∂w = a·∂C/∂z", () => {
  const p = lectureParams;
  const r = runLecture();
  // output layer: softmax + cross-entropy gives ∂C/∂z = softmax − onehot
  const e = r.z2.map(Math.exp);
  const s = e.map((v) => v / (e[0]! + e[1]!));
  const dz2 = s.map((v, j) => v - (j === p.target ? 1 : 0));
  dz2.forEach((v, j) => assert.ok(Math.abs(v - r.dCdz2[j]!) < 1e-12));
  // hidden layer: ∂C/∂z = σ'(z) · Σ_k w_kj ∂C/∂z_k — the reverse network, σ' as the amplifier
  for (let j = 0; j < 2; j++) {
    const back = p.w2[0][j] * dz2[0]! + p.w2[1][j] * dz2[1]!;
    const expected = sig(r.z1[j]!) * (1 - sig(r.z1[j]!)) * back;
    assert.ok(Math.abs(expected - r.dCdz1[j]!) < 1e-12, `hidden ${j}`);
  }
  // ∂C/∂w = a · ∂C/∂z for every weight
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < 2; i++) {
      assert.ok(Math.abs(r.dCdw1[j]![i]! - p.x[i]! * r.dCdz1[j]!) < 1e-12);
      assert.ok(Math.abs(r.dCdw2[j]![i]! - r.a1[i]! * r.dCdz2[j]!) < 1e-12);
    }
    assert.ok(Math.abs(r.dCdb1[j]! - r.dCdz1[j]!) < 1e-12);
  }
  // and finite differences agree
  assert.ok(r.gradcheckMaxAbsError < 1e-8, `gradcheck error ${r.gradcheckMaxAbsError}`);
});
