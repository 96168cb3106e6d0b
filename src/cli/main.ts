#!/usr/bin/env node
import { BackpropError } from '../errors.js';
import { UsageError } from './args.js';
import { trainCommand } from './train-command.js';
import { evalCommand } from './eval-command.js';
import { predictCommand } from './predict-command.js';
import { exportCommand } from './export-command.js';
import { generateCommand } from './generate-command.js';

/**
 * The `backprop` command: `backprop train|eval|predict|export|generate [flags]`. Bad input (flags, files, data)
 * ends with a one-line message and exit code 2; the stack trace is shown only with
 * BACKPROP_DEBUG=1.
 */

const USAGE = `backprop: train, evaluate and run neural networks from the command line

usage:
  backprop train    [flags]   train a model (default: a small MLP on the synthetic spirals data;
                             a character-level GPT with --dataset text --text FILE)
  backprop eval     [flags]   measure loss and accuracy of a saved model
  backprop predict  [flags]   print the predicted class of each input row or image
  backprop export   [flags]   write a saved model as an ONNX file
  backprop generate [flags]   continue a prompt with a saved language model

Run 'backprop <command> --help' for the flags of a command.
Environment: BACKPROP_BACKEND=js|wasm|native picks the compute backend; BACKPROP_THREADS=N the CPU thread count;
BACKPROP_DEBUG=1 shows stack traces.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  train: trainCommand,
  eval: evalCommand,
  predict: predictCommand,
  export: exportCommand,
  generate: generateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  const run = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!run) throw new UsageError(`backprop: unknown command '${cmd}'; allowed: ${Object.keys(COMMANDS).join(', ')} (see 'backprop --help')`);
  return run(rest);
}

function report(e: unknown): number {
  const debug = process.env['BACKPROP_DEBUG'] === '1';
  const err = e instanceof Error ? e : new Error(String(e));
  if (err.name === 'AbortError') {
    process.stderr.write('backprop: interrupted\n');
    return 130;
  }
  const known = err instanceof BackpropError || isNodeFileError(err);
  const text = err.message.split('\n')[0];
  process.stderr.write(`${known ? '' : 'backprop: internal error: '}${text}\n`);
  if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
  else if (!known) process.stderr.write('(run with BACKPROP_DEBUG=1 for the stack trace)\n');
  return known ? 2 : 1;
}

// ENOENT, EACCES, EISDIR ... from node:fs carry the path in their message: a user error.
function isNodeFileError(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && (e as { syscall?: unknown }).syscall !== undefined;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = report(e);
  },
);
