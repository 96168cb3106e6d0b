import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/tensor/random.js';
import { rand } from '../../src/tensor/creation.js';
import { FormatError, ValueError } from '../../src/errors.js';
import {
  parseArchitecture, parameterCount, validateArchitecture, buildModel, specToMetadata, specFromMetadata, type ModelSpec,
} from '../../src/cli/model-spec.js';

const mnistSpec: ModelSpec = {
  model: 'lenet5', activation: 'tanh', dropout: 0.25, inputShape: [1, 28, 28],
  classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], dataset: 'mnist', normalization: null, featureNames: null,
};

test('parses mlp and lenet5 specs and rejects others naming --model', () => {
  assert.deepEqual(parseArchitecture('mlp:784-256-10'), { kind: 'mlp', sizes: [784, 256, 10] });
  assert.deepEqual(parseArchitecture('lenet5'), { kind: 'lenet5' });
  for (const bad of ['mlp:784', 'mlp:784-0-10', 'mlp', 'resnet', 'mlp:7a-2']) {
    assert.throws(() => parseArchitecture(bad), (e: Error) => e instanceof ValueError && /--model: .*allowed: mlp:IN-HIDDEN...-OUT .* or lenet5|positive integers/.test(e.message), bad);
  }
});

test('validates MLP input/output sizes and lenet5 input against the dataset', () => {
  validateArchitecture({ kind: 'mlp', sizes: [784, 10] }, 'mlp:784-10', [1, 28, 28], 10, 'mnist');
  assert.throws(() => validateArchitecture({ kind: 'mlp', sizes: [2, 10] }, 'mlp:2-10', [1, 28, 28], 10, 'mnist'), /input size 2 does not match mnist, whose samples have 784 features/);
  assert.throws(() => validateArchitecture({ kind: 'mlp', sizes: [784, 3] }, 'mlp:784-3', [1, 28, 28], 10, 'mnist'), /output size 3 does not match the 10 classes/);
  assert.throws(() => validateArchitecture({ kind: 'lenet5' }, 'lenet5', [2], 2, 'spirals'), /lenet5 needs 28x28 grayscale images/);
});

test('builds lenet5 and an MLP that map a batch to class logits', () => {
  const lenet = buildModel(mnistSpec, new Generator(0), 1).module;
  assert.deepEqual(lenet.forward(rand([2, 1, 28, 28])).shape, [2, 10]);
  assert.equal(lenet.numParameters(), 61706);
  const mlp = buildModel({ ...mnistSpec, model: 'mlp:784-32-16-10', dropout: 0 }, new Generator(0), 1).module;
  assert.deepEqual(mlp.forward(rand([3, 1, 28, 28])).shape, [3, 10]);
  assert.equal(mlp.numParameters(), 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
  // same init generator seed, same weights
  const again = buildModel(mnistSpec, new Generator(0), 1).module;
  assert.deepEqual(Array.from(again.parameters()[0]!.data), Array.from(lenet.parameters()[0]!.data));
});

test('the spec survives a metadata round trip; broken metadata is a FormatError naming the file', () => {
  const spec: ModelSpec = { ...mnistSpec, model: 'mlp:4-8-3', inputShape: [4], classes: ['a', 'b', 'c'], dataset: 'csv:iris.csv', normalization: { mean: [1, 2, 3, 4], std: [1, 1, 2, 2] } };
  const md = specToMetadata(spec);
  for (const v of Object.values(md)) assert.equal(typeof v, 'string');
  assert.deepEqual(specFromMetadata(md, 'm.safetensors'), spec);
  assert.throws(() => specFromMetadata({}, 'm.safetensors'), (e: Error) => e instanceof FormatError && /m\.safetensors: not a backprop model file/.test(e.message));
  assert.throws(() => specFromMetadata({ ...md, 'backprop.classes': '[1,2' }, 'm.safetensors'), /'backprop.classes' is not valid JSON/);
  assert.throws(() => specFromMetadata({ ...md, 'backprop.activation': 'swish' }, 'm.safetensors'), /expected one of relu, sigmoid, tanh, gelu/);
  assert.throws(() => specFromMetadata({ ...md, 'backprop.classes': '["a","b"]' }, 'm.safetensors'), /inconsistent model metadata: .*output size 3 does not match the 2 classes/);
});

test('parameter counts are computed without building, and a spec over the limit is refused at parse time', () => {
  assert.equal(parameterCount(parseArchitecture('mlp:2-3-2')), 2 * 3 + 3 + 3 * 2 + 2);
  assert.equal(parameterCount(parseArchitecture('lenet5')), buildModel(mnistSpec, new Generator(0), 1).module.numParameters());
  assert.equal(parameterCount(parseArchitecture('mlp:784-32-16-10')), buildModel({ ...mnistSpec, model: 'mlp:784-32-16-10' }, new Generator(0), 1).module.numParameters());
  assert.throws(() => parseArchitecture('mlp:2-1000000000-2'), (e: Error) => e instanceof ValueError && /'mlp:2-1000000000-2' has 5000000002 parameters, more than the 268435456 \(2\^28\)/.test(e.message));
  assert.throws(() => parseArchitecture(`mlp:2-${'9'.repeat(400)}-2`), /layer sizes in 'mlp:2-9{54}…' must be positive integers/);
  const md = specToMetadata({ ...mnistSpec, model: 'mlp:784-10', inputShape: [1, 28, 28] });
  assert.throws(() => specFromMetadata({ ...md, 'backprop.model': 'mlp:784-1000000000-10' }, 'm.safetensors'),
    (e: Error) => e instanceof FormatError && /^m\.safetensors: __metadata__ 'backprop\.model': 'mlp:784-1000000000-10' has \d+ parameters, more than/.test(e.message));
});
