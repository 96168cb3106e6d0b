import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tensor, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import * as nn from '../nn/index.js';
import * as io from '../io/index.js';
import { parseFlags, formatFlagHelp, UsageError, type FlagSpecs } from './args.js';
import { loadModelFile } from './model-file.js';
import { specToMetadata } from './model-spec.js';

const FLAGS = {
  'model-file': { kind: 'string', metavar: 'FILE', help: 'a model saved by \'backprop train --out FILE\' (required)' },
  format: { kind: 'string', choices: ['onnx'], default: 'onnx', help: 'file format to write' },
  out: { kind: 'string', metavar: 'FILE', help: 'where to write (default: the model file with .onnx for .safetensors)' },
  opset: { kind: 'int', min: io.MIN_OPSET, default: io.MIN_OPSET, help: `ONNX opset version, ${io.MIN_OPSET} to ${io.MAX_OPSET} (20+ writes GELU as one Gelu node)` },
  json: { kind: 'boolean', help: 'print what was written as one JSON line' },
} satisfies FlagSpecs;

const HELP = `usage: backprop export --model-file FILE [--format onnx] [--out FILE.onnx] [flags]

Writes a saved model as an ONNX file for ONNX Runtime and other ONNX tools. The graph takes a
float32 input named 'input' of shape [batch, ...sample shape] (any batch size) and returns the
class scores (logits) as 'output'; softmax them for probabilities. Image models take pixels
scaled to [0, 1]; a model trained on CSV data includes its feature standardisation, so it takes
the raw feature values, as 'backprop predict' does. The class names and the rest of the model
spec are in the file's metadata_props.

flags:
${formatFlagHelp(FLAGS)}

examples:
  backprop export --model-file lenet5.safetensors --out lenet5.onnx
  backprop export --model-file iris.safetensors --opset 20 --json`;

/** Applies the recorded per-feature standardisation before the model, inside the exported graph. */
class StandardizedInput extends nn.Module {
  constructor(readonly model: nn.Module, mean: readonly number[], std: readonly number[]) {
    super();
    this.registerBuffer('feature_mean', tensor([...mean]));
    this.registerBuffer('feature_std', tensor([...std]));
  }

  forward(x: Tensor): Tensor {
    return this.model.forward(x.sub(this.buffer('feature_mean')).div(this.buffer('feature_std')));
  }
}

export async function exportCommand(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'export');
  if (f.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const file = f['model-file'];
  if (file === undefined) throw new UsageError('export: --model-file FILE is required (a model saved by \'backprop train --out FILE\')');
  const out = f.out ?? (/\.safetensors$/i.test(file) ? file.replace(/\.safetensors$/i, '.onnx') : `${file}.onnx`);
  if (out === file) throw new UsageError(`export: --out ${out} would overwrite the model file`);
  if (!existsSync(dirname(resolve(out)))) throw new UsageError(`export: --out ${out}: directory ${dirname(resolve(out))} does not exist`);
  const { model, spec } = loadModelFile(file, '--model-file');
  const norm = spec.normalization;
  const graph = norm ? new StandardizedInput(model, norm.mean, norm.std) : model;
  const r = io.exportOnnx(graph, zeros([1, ...spec.inputShape]), out, { opset: f.opset, metadata: specToMetadata(spec) });
  if (f.json || !process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify({ file: out, format: f.format, ...r })}\n`);
  } else {
    process.stdout.write(`wrote ${out}: ONNX opset ${r.opset}, ${r.nodes} nodes (${r.opTypes.join(', ')}), ${r.bytes} bytes; input '${r.inputNames[0]}' [batch,${spec.inputShape.join(',')}] → output '${r.outputName}' [batch,${spec.classes.length}]\n`);
  }
  return 0;
}
