import { ValueError } from '../errors.js';
import { Generator } from '../tensor/random.js';
import { BACKEND_FLAG, useBackend } from './backend.js';
import { parseFlags, formatFlagHelp, UsageError, type FlagSpecs } from './args.js';
import { loadLanguageModel } from './language-model.js';

const FLAGS = {
  'model-file': { kind: 'string', metavar: 'FILE', help: 'a language model saved by \'backprop train --dataset text --out FILE\' (required)' },
  prompt: { kind: 'string', metavar: 'TEXT', help: 'the text to continue; every character must be in the model\'s vocabulary (default: a newline)' },
  tokens: { kind: 'int', min: 0, default: 500, help: 'characters to generate' },
  temperature: { kind: 'number', above: 0, default: 1, metavar: 'T', help: 'divides the logits: below 1 is more conservative, above 1 more random' },
  'top-k': { kind: 'int', min: 1, metavar: 'K', help: 'sample only among the K most likely characters (default: all)' },
  seed: { kind: 'int', min: 0, default: 0, help: 'seed of the sampling: the same seed gives the same text' },
  backend: BACKEND_FLAG,
} satisfies FlagSpecs;

const HELP = `usage: backprop generate --model-file FILE [flags]

Rebuilds a character-level language model from its file alone and prints the prompt followed by
--tokens sampled characters, each written as soon as it is drawn.

flags:
${formatFlagHelp(FLAGS)}

examples:
  backprop generate --model-file gpt.safetensors --prompt 'ROMEO:' --tokens 300 --temperature 0.8 --top-k 40
  backprop generate --model-file gpt.safetensors --seed 7`;

export async function generateCommand(argv: string[]): Promise<number> {
  const f = parseFlags(argv, FLAGS, 'generate');
  if (f.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  useBackend(f.backend);
  if (f['model-file'] === undefined) throw new UsageError('generate: --model-file FILE is required (a model saved by \'backprop train --dataset text --out FILE\')');
  const { model, vocab } = loadLanguageModel(f['model-file'], '--model-file');
  const prompt = f.prompt ?? (vocab.has('\n') ? '\n' : vocab.chars[0]!);
  if (prompt === '') throw new UsageError('generate: --prompt must have at least one character');
  let ids: Int32Array;
  try {
    ids = vocab.encode(prompt, '--prompt');
  } catch (e) {
    if (e instanceof ValueError) throw new UsageError(`generate: ${e.message}`);
    throw e;
  }
  process.stdout.write(prompt);
  model.generate(ids, f.tokens, {
    temperature: f.temperature,
    ...(f['top-k'] !== undefined ? { topK: f['top-k'] } : {}),
    generator: new Generator(f.seed),
    onToken: (id) => { process.stdout.write(vocab.decode([id])); },
  });
  process.stdout.write('\n');
  return 0;
}
