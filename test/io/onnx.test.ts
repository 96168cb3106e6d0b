import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import * as io from '../../src/io/index.js';
import * as nn from '../../src/nn/index.js';
import { ExportError, ValueError } from '../../src/errors.js';
import { noGrad } from '../../src/autograd/mode.js';
import { ones, randint, randn } from '../../src/tensor/creation.js';
import { triu } from '../../src/ops/masking.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { concat } from '../../src/ops/shape.js';
import { ACTIVATIONS, buildModel, type ModelSpec } from '../../src/cli/model-spec.js';
import { loadModelFile } from '../../src/cli/model-file.js';
import { normalize } from '../../src/cli/datasets.js';
import { decodeModel } from '../../src/io/onnx/proto.js';
import { tempDir } from './tmp.js';

// Every model is exported from a batch of 2 and run by ONNX Runtime at batch sizes 1 and 7,
// so a graph that baked in the traced batch size would fail; outputs must match backprop's.
const TOLERANCE = 1e-5;
const BATCHES = [1, 7] as const;
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function ortTensor(x: Tensor): ort.Tensor {
  if (x.dtype === 'float32') return new ort.Tensor('float32', x.data as Float32Array, [...x.shape]);
  if (x.dtype === 'int32') return new ort.Tensor('int32', x.data as Int32Array, [...x.shape]);
  return new ort.Tensor('float64', x.data as Float64Array, [...x.shape]);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Runs an ONNX model in ONNX Runtime on one input. */
async function runOrt(model: Uint8Array | string, x: Tensor): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model as Uint8Array);
  const out = await session.run({ input: ortTensor(x) });
  return out['output']!;
}

/**
 * Exports `model` (eval mode) at opset `opset`, runs it in ONNX Runtime at batch sizes 1 and 7
 * and checks it against backprop's forward. Returns the ONNX op types and the max differences.
 */
async function checkAgainstOrt(model: nn.Module, input: (batch: number) => Tensor, opset = 17): Promise<{ opTypes: string[]; diffs: number[] }> {
  model.eval();
  const { bytes, result } = io.serializeOnnx(model, input(2), { opset });
  const session = await ort.InferenceSession.create(bytes);
  const diffs: number[] = [];
  for (const batch of BATCHES) {
    const x = input(batch);
    const want = noGrad(() => model.forward(x));
    const got = (await session.run({ input: ortTensor(x) }))['output']!;
    assert.deepEqual(got.dims, want.shape, `output shape at batch ${batch}`);
    const diff = maxAbsDiff(got.data as Float32Array, want.data);
    assert.ok(diff <= TOLERANCE, `batch ${batch}: max abs diff ${diff} > ${TOLERANCE}`);
    diffs.push(diff);
  }
  return { opTypes: result.opTypes, diffs };
}

const fmtDiffs = (d: number[]): string => BATCHES.map((b, i) => `batch ${b}: ${d[i]!.toExponential(2)}`).join(', ');

function spec(model: string, activation: ModelSpec['activation'], inputShape: number[], classes: number): ModelSpec {
  return {
    model, activation, dropout: 0.25, inputShape, classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    dataset: 'test', normalization: null, featureNames: null,
  };
}

// Every architecture the CLI builds (src/cli/model-spec.ts), with every hidden activation and dropout.
const CLI_MODELS: { name: string; spec: (a: ModelSpec['activation']) => ModelSpec }[] = [
  { name: 'mlp:2-64-64-2', spec: (a) => spec('mlp:2-64-64-2', a, [2], 2) },
  { name: 'mlp:784-256-10 on [1,28,28] images', spec: (a) => spec('mlp:784-256-10', a, [1, 28, 28], 10) },
  { name: 'lenet5', spec: (a) => spec('lenet5', a, [1, 28, 28], 10) },
];

for (const { name, spec: specFor } of CLI_MODELS) {
  for (const activation of ACTIVATIONS) {
    test(`ONNX Runtime matches backprop: CLI model ${name}, ${activation}`, async (t) => {
      const s = specFor(activation);
      const { module } = buildModel(s, new Generator(7), 1);
      const gen = new Generator(11);
      const input = (batch: number): Tensor => randn([batch, ...s.inputShape], { generator: gen });
      // opset 20 writes GELU as one node; 17 as its erf formula
      for (const opset of activation === 'gelu' ? [17, 20] : [17]) {
        const r = await checkAgainstOrt(module, input, opset);
        t.diagnostic(`opset ${opset}: ${r.opTypes.join(' ')}; max abs diff ${fmtDiffs(r.diffs)}`);
        if (name === 'lenet5') assert.ok(['Conv', 'MaxPool', 'Gemm', 'Reshape'].every((op) => r.opTypes.includes(op)), r.opTypes.join());
        assert.equal(r.opTypes.includes('Gelu'), activation === 'gelu' && opset >= 20);
      }
    });
  }
}

/** Runs a few training batches so batch norm has running statistics other than 0 and 1. */
function warmUpBatchNorm(model: nn.Module, input: (batch: number) => Tensor): void {
  model.train();
  noGrad(() => {
    for (let i = 0; i < 3; i++) model.forward(input(8));
  });
  model.eval();
}

test('ONNX Runtime matches backprop: the conv/pool/batch-norm family', async (t) => {
  const g = new Generator(3);
  const model = new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, generator: g }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
    new nn.Conv2d(8, 8, 3, { padding: 2, dilation: 2, groups: 2, bias: false, generator: g }),
    new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }),
    new nn.Tanh(),
    new nn.Conv2d(8, 6, [1, 2], { generator: g }),
    new nn.AvgPool2d(2),
    new nn.Sigmoid(),
    new nn.Flatten(),
    new nn.Linear(6, 16, { generator: g }),
    new nn.BatchNorm1d(16),
    new nn.LeakyReLU(0.1),
    new nn.Dropout(0.5),
    new nn.Linear(16, 12, { generator: g }),
    new nn.ELU(0.7),
    new nn.Linear(12, 5, { bias: false, generator: g }),
    new nn.Softplus(),
    new nn.Softmax(),
  );
  const gen = new Generator(5);
  const input = (batch: number): Tensor => randn([batch, 3, 16, 16], { generator: gen });
  warmUpBatchNorm(model, input);
  const r = await checkAgainstOrt(model, input);
  t.diagnostic(`${r.opTypes.join(' ')}; max abs diff ${fmtDiffs(r.diffs)}`);
  for (const op of ['Conv', 'BatchNormalization', 'MaxPool', 'AveragePool', 'Gemm', 'LeakyRelu', 'Elu', 'Softplus', 'Softmax']) {
    assert.ok(r.opTypes.includes(op), `${op} missing from ${r.opTypes.join()}`);
  }
  // dropout is the identity in eval mode: no node at all
  assert.ok(!r.opTypes.includes('Dropout'));
});

/** A transformer-free sequence model: embedding, layer norm, GELU and a pooled classifier. */
class TokenClassifier extends nn.Module {
  embed: nn.Embedding;
  norm: nn.LayerNorm;
  hidden: nn.Linear;
  head: nn.Sequential;

  constructor(g: Generator) {
    super();
    this.embed = new nn.Embedding(30, 16, { generator: g });
    this.norm = new nn.LayerNorm(16);
    this.hidden = new nn.Linear(16, 24, { generator: g });
    this.head = new nn.Sequential(new nn.LayerNorm(24, { bias: false }), new nn.Linear(24, 6, { generator: g }), new nn.GELU(), new nn.Linear(6, 4, { generator: g }), new nn.LogSoftmax());
  }

  forward(tokens: Tensor): Tensor {
    const h = this.hidden.forward(this.norm.forward(this.embed.forward(tokens))).gelu(); // [B, T, 24]: MatMul, not Gemm
    const pooled = h.mean(1).add(h.sliceDim(1, 1, 5, 2).sum(1).mul(0.25)); // [B, 24]
    return this.head.forward(pooled);
  }
}

test('ONNX Runtime matches backprop: Embedding + LayerNorm + GELU (opsets 17 and 20)', async (t) => {
  const model = new TokenClassifier(new Generator(9));
  // non-trivial scale and shift, so LayerNormalization's inputs are checked
  noGrad(() => {
    model.norm.weight!.data.set(randn([16], { generator: new Generator(1) }).data);
    model.norm.bias!.data.set(randn([16], { generator: new Generator(2) }).data);
  });
  const gen = new Generator(4);
  const input = (batch: number): Tensor => randint(0, 30, [batch, 6], { generator: gen });
  for (const opset of [17, 20]) {
    const r = await checkAgainstOrt(model, input, opset);
    t.diagnostic(`opset ${opset}: ${r.opTypes.join(' ')}; max abs diff ${fmtDiffs(r.diffs)}`);
    for (const op of ['Gather', 'LayerNormalization', 'MatMul', 'ReduceSum', 'Slice', 'Gemm', 'LogSoftmax']) {
      assert.ok(r.opTypes.includes(op), `${op} missing from ${r.opTypes.join()}`);
    }
  }
});

/** A token model with a transformer encoder and decoder: attention, masks, norms first or last. */
class TinySeq2Seq extends nn.Module {
  embed: nn.Embedding;
  encoder: nn.TransformerEncoderLayer;
  decoder: nn.TransformerDecoderLayer;
  head: nn.Linear;

  constructor(g: Generator, normFirst: boolean, activation: 'relu' | 'gelu') {
    super();
    this.embed = new nn.Embedding(20, 16, { generator: g });
    const opts = { dimFeedforward: 24, dropout: 0, batchFirst: true, normFirst, activation, generator: g };
    this.encoder = new nn.TransformerEncoderLayer(16, 4, opts);
    this.decoder = new nn.TransformerDecoderLayer(16, 2, opts);
    this.head = new nn.Linear(16, 20, { generator: g });
  }

  forward(tokens: Tensor): Tensor {
    const x = this.embed.forward(tokens);
    const t = tokens.shape[1]!;
    // a causal target mask (1 = blocked), as a GPT's self-attention uses
    const causal = triu(ones([t, t], { dtype: 'int32' }), 1);
    return this.head.forward(this.decoder.forward(x, this.encoder.forward(x), { tgtMask: causal }));
  }
}

test('ONNX Runtime matches backprop: transformer encoder and decoder layers with a causal mask (norm first and last)', async (t) => {
  const gen = new Generator(12);
  const input = (batch: number): Tensor => randint(0, 20, [batch, 7], { generator: gen });
  for (const [normFirst, activation] of [[true, 'gelu'], [false, 'relu']] as const) {
    const r = await checkAgainstOrt(new TinySeq2Seq(new Generator(5), normFirst, activation), input);
    t.diagnostic(`normFirst=${normFirst} ${activation}: max abs diff ${fmtDiffs(r.diffs)}; ${new Set(r.opTypes).size} op types`);
    for (const op of ['MatMul', 'Softmax', 'LayerNormalization', 'Where']) assert.ok(r.opTypes.includes(op), `${op} missing from ${r.opTypes.join()}`);
  }
});

test('ONNX Runtime matches backprop: the character GPT (packed causal attention, layer norms, tied head)', async (t) => {
  const gen = new Generator(13);
  const input = (batch: number): Tensor => randint(0, 11, [batch, 6], { generator: gen });
  const gpt = new nn.GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, generator: new Generator(4) });
  const r = await checkAgainstOrt(gpt, input);
  t.diagnostic(`max abs diff ${fmtDiffs(r.diffs)}; ${new Set(r.opTypes).size} op types`);
  for (const op of ['MatMul', 'Softmax', 'LayerNormalization', 'Where', 'Transpose']) assert.ok(r.opTypes.includes(op), `${op} missing from ${r.opTypes.join()}`);
});

/** Reshapes, expands and concatenates along dims that follow the batch size. */
class BatchShapes extends nn.Module {
  proj = new nn.Linear(4, 4, { generator: new Generator(6) });
  token = randn([1, 1, 4], { generator: new Generator(8), requiresGrad: true });

  forward(x: Tensor): Tensor {
    const [n] = x.shape as [number, number, number];
    const rows = this.proj.forward(x.reshape([n * 3, 4])).reshape([n, 3, 4]); // [3·batch, 4]: Gemm
    const cls = this.token.expand([n, 1, 4]); // a weight broadcast to the batch: Expand by Shape(input)
    const seq = concat([cls, rows], 1); // [batch, 4, 4]
    return seq.permute([0, 2, 1]).flatten(1).clamp(-0.5, null).abs().sqrt().exp().log().neg().add(seq.sum([1, 2], true).reshape([n, 1]));
  }
}

test('ONNX Runtime matches backprop: reshapes, expands and concats that follow the batch size', async (t) => {
  const gen = new Generator(12);
  const r = await checkAgainstOrt(new BatchShapes(), (batch) => randn([batch, 3, 4], { generator: gen }));
  t.diagnostic(`${r.opTypes.join(' ')}; max abs diff ${fmtDiffs(r.diffs)}`);
  for (const op of ['Expand', 'Shape', 'Concat', 'Transpose', 'Clip', 'Reshape']) assert.ok(r.opTypes.includes(op), `${op} missing from ${r.opTypes.join()}`);
});

test('AvgPool2d with dilation needs opset 19: an ExportError below, the same values from 19 on', async () => {
  const g = new Generator(1);
  const model = new nn.Sequential(new nn.Conv2d(1, 2, 3, { generator: g }), new nn.AvgPool2d(2, { dilation: 2, padding: 1 }), new nn.Flatten());
  const input = (batch: number): Tensor => randn([batch, 1, 9, 9], { generator: g });
  assert.throws(() => io.serializeOnnx(model, input(2), { opset: 18 }), (e: unknown) => {
    assert.ok(e instanceof ExportError);
    assert.equal(e.op, 'avgPool2d');
    assert.equal(e.modulePath, '1');
    assert.match(e.message, /ONNX AveragePool takes dilations from opset 19 on \(exporting with opset 18\); pass \{opset: 19\}/);
    return true;
  });
  for (const opset of [19, 21]) await checkAgainstOrt(model, input, opset);
});

test('the exported graph has a symbolic batch dim, the weights as named initializers, and the opset asked for', () => {
  const { module } = buildModel(spec('lenet5', 'relu', [1, 28, 28], 10), new Generator(0), 0);
  const { bytes, result } = io.serializeOnnx(module, randn([3, 1, 28, 28]), { opset: 19, metadata: { classes: 'a,b' } });
  const m = decodeModel(bytes);
  assert.deepEqual(m.opsetImport.map((o) => o.version), [19]);
  assert.equal(m.irVersion, 9);
  assert.deepEqual(m.metadataProps, [{ key: 'classes', value: 'a,b' }]);
  const input = m.graph.input[0]!;
  assert.equal(input.name, 'input');
  assert.deepEqual(input.type.tensorType.shape.dim, [{ dimParam: 'batch' }, { dimValue: 1 }, { dimValue: 28 }, { dimValue: 28 }]);
  assert.deepEqual(m.graph.output[0]!.type.tensorType.shape.dim, [{ dimParam: 'batch' }, { dimValue: 10 }]);
  const initNames = m.graph.initializer.map((i) => i.name);
  for (const [name, p] of module.namedParameters()) {
    assert.ok(initNames.includes(name), `initializer ${name}`);
    const init = m.graph.initializer.find((i) => i.name === name)!;
    assert.deepEqual(init.dims, p.shape);
    assert.deepEqual(new Float32Array(Uint8Array.from(init.rawData).buffer), p.data);
  }
  assert.deepEqual(result.inputNames, ['input']);
  assert.equal(result.nodes, m.graph.node.length);
});

test('an op without an exporter is an ExportError naming the op and the module path', () => {
  // a model that computes its loss in forward: crossEntropy has no ONNX exporter
  class WithLoss extends nn.Module {
    constructor(readonly net: nn.Module) { super(); }
    forward(x: Tensor): Tensor {
      return nn.F.crossEntropy(x, Tensor.fromRaw(new Int32Array(x.shape[0]!), [x.shape[0]!]));
    }
  }
  const model = new nn.Sequential(new nn.Linear(4, 3), new nn.Sequential(new nn.ReLU(), new WithLoss(new nn.Identity())));
  assert.throws(() => io.serializeOnnx(model, randn([2, 4])), (e: unknown) => {
    assert.ok(e instanceof ExportError);
    assert.equal(e.op, 'crossEntropy');
    assert.equal(e.modulePath, '1.1');
    assert.match(e.message, /op 'crossEntropy' has no ONNX exporter \(in module '1\.1' \(WithLoss\)\)/);
    return true;
  });
});

test('a value computed outside the op table from the input is an ExportError, not a wrong constant', () => {
  // reading the input on the host and building a tensor from it: a graph would freeze the traced values
  class HostRound extends nn.Module {
    forward(x: Tensor): Tensor { return x.add(Tensor.fromRaw(x.data.map(Math.round), x.shape)); }
  }
  assert.throws(() => io.serializeOnnx(new nn.Sequential(new nn.Linear(4, 6), new HostRound()), randn([3, 4])), (e: unknown) => {
    assert.ok(e instanceof ExportError);
    assert.match(e.message, /op 'add' in module '1' \(HostRound\) takes a tensor computed outside the op table/);
    return true;
  });
});

test('max over a dim exports as ArgMax + GatherElements and matches ONNX Runtime', async () => {
  class MaxOverFeatures extends nn.Module {
    forward(x: Tensor): Tensor { return x.max(1); }
  }
  const dir = tempDir();
  const file = join(dir, 'max.onnx');
  const model = new nn.Sequential(new nn.Linear(4, 6), new MaxOverFeatures());
  io.exportOnnx(model, randn([3, 4]), file);
  const ops = decodeModel(readFileSync(file)).graph.node.map((nd) => nd.opType);
  assert.ok(ops.includes('ArgMax') && ops.includes('GatherElements'), ops.join(','));
  for (const batch of [1, 7]) {
    const x = randn([batch, 4]);
    const got = await runOrt(file, x);
    assert.ok(maxAbsDiff(got.data as Float32Array, noGrad(() => model.forward(x)).data) <= TOLERANCE);
  }
});

test('the issue 9 maps and amax over several dims export and match ONNX Runtime (opsets 17 and 18)', async (t) => {
  class Maps extends nn.Module {
    forward(x: Tensor): Tensor {
      const y = x.sin().add(x.cos()).add(x.mul(0.5).tan()).add(x.atan()).add(x.sinh().mul(0.1)).add(x.cosh().mul(0.1));
      const z = x.mul(0.3).asin().add(x.mul(0.3).acos()).add(x.floor()).add(x.ceil()).add(x.round()).add(x.sign());
      const w = x.abs().add(1).reciprocal();
      // amax over the feature dims (max() over several dims routes to amax), kept as a dim for the concat
      return concat([y.add(z).add(w), y.amax(1, true), z.amin([1], true)], 1);
    }
  }
  for (const opset of [17, 18]) {
    const model = new nn.Sequential(new nn.Linear(4, 6), new Maps());
    const { opTypes, diffs } = await checkAgainstOrt(model, (b) => randn([b, 4], { generator: new Generator(b) }), opset);
    for (const op of ['Sin', 'Cos', 'Tan', 'Atan', 'Sinh', 'Cosh', 'Asin', 'Acos', 'Floor', 'Ceil', 'Round', 'Sign', 'Reciprocal', 'ReduceMax', 'ReduceMin']) {
      assert.ok(opTypes.includes(op), `opset ${opset}: ${op} missing from ${opTypes.join(',')}`);
    }
    t.diagnostic(`opset ${opset}: ${fmtDiffs(diffs)}`);
  }
});

test('bad arguments are ValueErrors', () => {
  const model = new nn.Linear(2, 2);
  assert.throws(() => io.serializeOnnx(model, randn([2, 2]), { opset: 13 }), (e: unknown) => e instanceof ValueError && /opset must be an integer from 17 to 21, got 13/.test(e.message));
  assert.throws(() => io.serializeOnnx(model, randn([0, 2])), (e: unknown) => e instanceof ValueError && /first dim is the batch size and must be at least 1/.test(e.message));
  assert.throws(() => io.serializeOnnx(model, []), ValueError);
});

test('exportOnnx writes the file atomically and restores train mode', async () => {
  const dir = tempDir();
  const file = join(dir, 'mlp.onnx');
  const model = new nn.Sequential(new nn.Linear(3, 5), new nn.Dropout(0.5), new nn.Tanh(), new nn.Linear(5, 2));
  model.train();
  const r = io.exportOnnx(model, randn([4, 3]), file);
  assert.ok(model.training && model.modules().every((m) => m.training), 'train mode restored');
  assert.ok(model.modules().every((m) => !Object.hasOwn(m, 'forward') && !Object.hasOwn(m, 'forwardAct')), 'forward methods restored');
  assert.equal(readFileSync(file).length, r.bytes);
  const x = randn([7, 3]);
  const got = await runOrt(file, x);
  const want = noGrad(() => model.eval().forward(x));
  assert.ok(maxAbsDiff(got.data as Float32Array, want.data) <= TOLERANCE);
  // a failed export leaves the previous file and no temporary file behind
  const before = readFileSync(file);
  assert.throws(() => io.exportOnnx(model, randn([4, 3]), file, { opset: 99 }), ValueError);
  assert.deepEqual(readFileSync(file), before);
  assert.deepEqual(readdirSync(dir), ['mlp.onnx']);
});

// ---------- the CLI ----------

function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, BACKPROP_DEBUG: '' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUsageError(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

test('backprop export writes an ONNX file that ONNX Runtime runs like the saved model', async () => {
  const dir = tempDir();
  const train = cli(['train', '--epochs', '1', '--activation', 'gelu', '--out', 'spirals.safetensors'], dir);
  assert.equal(train.code, 0, train.stderr);
  const r = cli(['export', '--model-file', 'spirals.safetensors', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { file: string; opset: number; opTypes: string[] };
  assert.equal(info.file, 'spirals.onnx');
  assert.equal(info.opset, 17);
  const { model } = loadModelFile(join(dir, 'spirals.safetensors'), '--model-file');
  const x = randn([7, 2]);
  const got = await runOrt(join(dir, 'spirals.onnx'), x);
  assert.ok(maxAbsDiff(got.data as Float32Array, noGrad(() => model.forward(x)).data) <= TOLERANCE);
  const md = decodeModel(readFileSync(join(dir, 'spirals.onnx'))).metadataProps;
  assert.ok(md.some((p) => p.key === 'backprop.model' && p.value === 'mlp:2-64-64-2'), JSON.stringify(md));
});

test('backprop export of a CSV model includes its feature standardisation', async () => {
  const dir = tempDir();
  const g = new Generator(2);
  const rows = ['width,height,depth,kind'];
  for (let i = 0; i < 60; i++) {
    const [a, b, c] = [g.normal() * 10 + 50, g.normal() * 0.1 + 2, g.normal() * 3];
    rows.push(`${a},${b},${c},${a / 10 + b > 7 ? 'big' : 'small'}`);
  }
  writeFileSync(join(dir, 'boxes.csv'), `${rows.join('\n')}\n`);
  const train = cli(['train', '--dataset', 'csv', '--csv', 'boxes.csv', '--label', 'kind', '--epochs', '2', '--out', 'boxes.safetensors'], dir);
  assert.equal(train.code, 0, train.stderr);
  const r = cli(['export', '--model-file', 'boxes.safetensors', '--out', 'boxes.onnx', '--opset', '20'], dir);
  assert.equal(r.code, 0, r.stderr);
  const { model, spec } = loadModelFile(join(dir, 'boxes.safetensors'), '--model-file');
  const raw = Tensor.fromRaw(Float32Array.from({ length: 21 }, () => g.normal() * 10 + 20), [7, 3]);
  const got = await runOrt(join(dir, 'boxes.onnx'), raw);
  const want = noGrad(() => model.forward(normalize(raw, spec.normalization)));
  assert.ok(maxAbsDiff(got.data as Float32Array, want.data) <= TOLERANCE);
});

test('backprop export: --help, and bad input exits 2 with one line', () => {
  const dir = tempDir();
  const help = cli(['export', '--help'], dir);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: backprop export --model-file FILE/);
  assert.match(help.stdout, /--opset N/);
  assert.match(cli(['--help'], dir).stdout, /backprop export/);
  assertUsageError(cli(['export'], dir), /export: --model-file FILE is required/);
  assertUsageError(cli(['export', '--model-file', 'missing.safetensors'], dir), /--model-file missing\.safetensors: no such file/);
  writeFileSync(join(dir, 'junk.safetensors'), 'not a model');
  assertUsageError(cli(['export', '--model-file', 'junk.safetensors'], dir), /junk\.safetensors/);
  assertUsageError(cli(['export', '--model-file', 'junk.safetensors', '--format', 'tflite'], dir), /bad value 'tflite' for --format; allowed: onnx/);
  assertUsageError(cli(['export', '--model-file', 'junk.safetensors', '--opset', '16'], dir), /bad value '16' for --opset; expected an integer >= 17/);
  assert.equal(cli(['train', '--epochs', '1', '--out', 'm.safetensors'], dir).code, 0);
  assertUsageError(cli(['export', '--model-file', 'm.safetensors', '--opset', '22'], dir), /opset must be an integer from 17 to 21, got 22/);
  assertUsageError(cli(['export', '--model-file', 'm.safetensors', '--out', 'no/such/dir/m.onnx'], dir), /--out no\/such\/dir\/m\.onnx: directory .* does not exist/);
  assert.ok(!existsSync(join(dir, 'm.onnx')));
});
