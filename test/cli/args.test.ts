import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, formatFlagHelp, UsageError, type FlagSpecs } from '../../src/cli/args.js';
import { ValueError } from '../../src/errors.js';

const SPECS = {
  dataset: { kind: 'string', default: 'spirals', choices: ['spirals', 'mnist'], help: 'data' },
  out: { kind: 'string', metavar: 'FILE', help: 'output' },
  lr: { kind: 'number', above: 0, help: 'learning rate' },
  epochs: { kind: 'int', min: 1, default: 5, help: 'epochs' },
  json: { kind: 'boolean', help: 'json lines' },
} satisfies FlagSpecs;

test('parses values, defaults, --flag=value and booleans', () => {
  const f = parseFlags(['--lr', '0.01', '--epochs=3', '--json', '--dataset', 'mnist'], SPECS, 'train');
  assert.equal(f.lr, 0.01);
  assert.equal(f.epochs, 3);
  assert.equal(f.json, true);
  assert.equal(f.dataset, 'mnist');
  assert.equal(f.out, undefined);
  assert.equal(f.help, false);
  const d = parseFlags([], SPECS, 'train');
  assert.deepEqual([d.dataset, d.epochs, d.json, d.lr], ['spirals', 5, false, undefined]);
  assert.equal(parseFlags(['-h'], SPECS, 'train').help, true);
  assert.equal(parseFlags(['--lr', '-1e-3'], { lr: { kind: 'number', help: '' } }, 'x').lr, -1e-3, 'a negative number is a value, not a flag');
});

test('unknown flags name the flag, suggest a near one and list the allowed ones', () => {
  assert.throws(() => parseFlags(['--epoch', '3'], SPECS, 'train'), (e: Error) => {
    assert.ok(e instanceof UsageError && e instanceof ValueError);
    assert.match(e.message, /unknown flag '--epoch' \(did you mean --epochs\?\)/);
    assert.match(e.message, /allowed: --dataset, --out, --lr, --epochs, --json, --help/);
    return true;
  });
  assert.throws(() => parseFlags(['stray'], SPECS, 'train'), /unexpected argument 'stray'/);
  assert.throws(() => parseFlags(['--toString'], SPECS, 'train'), /unknown flag '--toString'/);
});

test('bad values name the flag and the allowed values', () => {
  assert.throws(() => parseFlags(['--dataset', 'cifar'], SPECS, 'train'), /bad value 'cifar' for --dataset; allowed: spirals, mnist/);
  assert.throws(() => parseFlags(['--epochs', '2.5'], SPECS, 'train'), /bad value '2.5' for --epochs; expected an integer >= 1/);
  assert.throws(() => parseFlags(['--epochs', '0'], SPECS, 'train'), /--epochs; expected an integer >= 1/);
  assert.throws(() => parseFlags(['--lr', 'fast'], SPECS, 'train'), /bad value 'fast' for --lr; expected a number > 0/);
  assert.throws(() => parseFlags(['--lr', '0'], SPECS, 'train'), /expected a number > 0/);
  assert.throws(() => parseFlags(['--lr', ''], SPECS, 'train'), /bad value '' for --lr/);
  assert.throws(() => parseFlags(['--out'], SPECS, 'train'), /--out needs a value \(FILE\)/);
  assert.throws(() => parseFlags(['--out', '--json'], SPECS, 'train'), /--out needs a value/);
  assert.throws(() => parseFlags(['--json=yes'], SPECS, 'train'), /--json takes no value or true\/false/);
});

test('help lists every flag with its default', () => {
  const h = formatFlagHelp(SPECS);
  for (const name of Object.keys(SPECS)) assert.match(h, new RegExp(`--${name}\\b`));
  assert.match(h, /--dataset spirals\|mnist\s+data \(default: spirals\)/);
  assert.match(h, /--help, -h/);
});

test('integer flags take digits only, within their range: 1e12 is not a batch size', () => {
  const specs = { 'batch-size': { kind: 'int', min: 1, max: 1024, default: 64, help: 'batch' }, seed: { kind: 'int', min: 0, help: 'seed' } } satisfies FlagSpecs;
  for (const raw of ['1e12', '1e2', '0x10', '1.0', '12abc', ' ', '1000000000000', '1025']) {
    assert.throws(() => parseFlags(['--batch-size', raw], specs, 'train'),
      (e: Error) => e instanceof UsageError && e.message === `train: bad value '${raw}' for --batch-size; expected an integer in 1..1024, in digits`, raw);
  }
  assert.equal(parseFlags(['--batch-size', '1024'], specs, 'train')['batch-size'], 1024);
  assert.equal(parseFlags(['--seed', '4294967295'], specs, 'train').seed, 4294967295);
  assert.throws(() => parseFlags(['--seed', '9007199254740993'], specs, 'train'), /expected an integer >= 0, in digits/);
});
