import { noGrad } from '../autograd/mode.js';
import { BACKEND_FLAG, DEVICE_FLAG, useBackend, useDevice } from './backend.js';
import { MAX_BATCH, parseFlags, formatFlagHelp, UsageError, type FlagSpecs } from './args.js';
import { loadModelFile, inputsForModel } from './model-file.js';

const FLAGS = {
  'model-file': { kind: 'string', metavar: 'FILE', help: 'a model saved by \'backprop train --out FILE\' (required)' },
  input: { kind: 'string', metavar: 'FILE', help: 'FILE.csv (one sample per row, header row) or an IDX image file FILE.idx[.gz] / *-ubyte[.gz] (required)' },
  label: { kind: 'string', metavar: 'COL', help: 'a column of the CSV to ignore (e.g. the label column of a training file)' },
  'batch-size': { kind: 'int', min: 1, max: MAX_BATCH, default: 256, help: 'samples per forward pass' },
  json: { kind: 'boolean', help: 'print one JSON object per sample: {"class":…,"index":…,"probabilities":[…]}' },
  backend: BACKEND_FLAG,
  device: DEVICE_FLAG,
} satisfies FlagSpecs;

const HELP = `usage: backprop predict --model-file FILE --input FILE [flags]

Rebuilds the model from its file alone and prints the predicted class name of every input
sample, one per line, in input order.

flags:
${formatFlagHelp(FLAGS)}

examples:
  backprop predict --model-file mnist.safetensors --input ../shared/data/mnist/t10k-images-idx3-ubyte.gz
  backprop predict --model-file iris.safetensors --input flowers.csv --json
  backprop predict --model-file mnist.safetensors --input t10k-images-idx3-ubyte.gz --device webgpu`;

export async function predictCommand(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'predict');
  if (f.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  useBackend(f.backend);
  const { device } = await useDevice(f.device, 'predict');
  if (f['model-file'] === undefined) throw new UsageError('predict: --model-file FILE is required (a model saved by \'backprop train --out FILE\')');
  if (f.input === undefined) throw new UsageError('predict: --input FILE is required (FILE.csv or FILE.idx[.gz])');
  const { model, spec } = loadModelFile(f['model-file'], '--model-file');
  model.to(device);
  const x = inputsForModel(f.input, spec, f.label, '--input');
  const n = x.shape[0]!;
  const bs = f['batch-size'];
  const lines: string[] = [];
  for (let start = 0; start < n; start += bs) {
    const probs = noGrad(() => model.forward(x.sliceDim(0, start, Math.min(n, start + bs)).to(device)).softmax(1));
    const [m, c] = probs.shape as [number, number];
    const p = device === 'cpu' ? probs.data : await probs.dataAsync();
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (p[i * c + j]! > p[i * c + best]!) best = j;
      if (f.json) {
        const row = Array.from(p.subarray(i * c, (i + 1) * c), (v) => Number(v.toPrecision(6)));
        lines.push(JSON.stringify({ class: spec.classes[best], index: best, probabilities: row }));
      } else {
        lines.push(spec.classes[best]!);
      }
    }
    // write in chunks so a 10k-image file streams instead of building one huge string
    process.stdout.write(`${lines.join('\n')}\n`);
    lines.length = 0;
  }
  return 0;
}
