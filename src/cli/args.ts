import { ValueError } from '../errors.js';

/**
 * A small typed command-line parser: each command declares its flags once (kind, default,
 * allowed values, help), and gets back an object whose property types follow the declaration.
 * Accepts `--flag value`, `--flag=value` and bare boolean flags; anything else is a UsageError.
 */

/** The largest --batch-size: 2^20 samples, far beyond any data set the CLI holds in memory. */
export const MAX_BATCH = 2 ** 20;

/** A bad command line: unknown flag, missing or malformed value. The CLI exits with code 2. */
export class UsageError extends ValueError {}

interface BaseSpec {
  help: string;
  /** placeholder shown in help, e.g. FILE */
  metavar?: string;
}
export interface StringFlag extends BaseSpec { kind: 'string'; default?: string; choices?: readonly string[] }
export interface IntFlag extends BaseSpec { kind: 'int'; default?: number; min?: number; /** default: Number.MAX_SAFE_INTEGER */ max?: number }
export interface NumberFlag extends BaseSpec { kind: 'number'; default?: number; /** exclusive lower bound */ above?: number }
export interface BoolFlag extends BaseSpec { kind: 'boolean' }
export type FlagSpec = StringFlag | IntFlag | NumberFlag | BoolFlag;
export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<F extends FlagSpec> =
  F extends BoolFlag ? boolean
  : F extends StringFlag ? (F extends { default: string } ? string : string | undefined)
  : F extends { default: number } ? number
  : number | undefined;

export type ParsedFlags<S extends FlagSpecs> = { [K in keyof S]: ValueOf<S[K]> } & { help: boolean };

/**
 * Parses argv (without the command name) against specs; flag names are written without `--`.
 * @example parseFlags(['--lr', '0.01'], { lr: { kind: 'number', default: 1e-3, help: 'learning rate' } }).lr // 0.01
 */
export function parseFlags<S extends FlagSpecs>(argv: readonly string[], specs: S, command: string): ParsedFlags<S> {
  const out: Record<string, unknown> = { help: false };
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = spec.kind === 'boolean' ? false : spec.default;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      out['help'] = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(`${command}: unexpected argument '${arg}'; flags start with -- (see 'backprop ${command} --help')`);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
      const near = closest(name, Object.keys(specs));
      throw new UsageError(`${command}: unknown flag '--${name}'${near ? ` (did you mean --${near}?)` : ''}; allowed: ${known}, --help`);
    }
    if (spec.kind === 'boolean') {
      if (eq >= 0) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`${command}: --${name} takes no value or true/false, got '${v}'`);
        out[name] = v === 'true';
      } else {
        out[name] = true;
      }
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`${command}: --${name} needs a value (${describeValue(spec)})`);
      }
      raw = next;
      i++;
    }
    out[name] = convert(name, raw, spec, command);
  }
  return out as ParsedFlags<S>;
}

function convert(name: string, raw: string, spec: StringFlag | IntFlag | NumberFlag, command: string): string | number {
  if (spec.kind === 'string') {
    if (spec.choices && !spec.choices.includes(raw)) {
      throw new UsageError(`${command}: bad value '${raw}' for --${name}; allowed: ${spec.choices.join(', ')}`);
    }
    if (raw === '') throw new UsageError(`${command}: --${name} needs a non-empty value (${describeValue(spec)})`);
    return raw;
  }
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (spec.kind === 'int') {
    // digits only: Number() would also take '1e12', '0x10' and '1.0', and 1e300 is an "integer"
    const min = spec.min ?? -Infinity;
    const max = spec.max ?? Number.MAX_SAFE_INTEGER;
    if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new UsageError(`${command}: bad value '${raw}' for --${name}; expected ${describeValue(spec)}`);
    }
    return v;
  }
  if (!Number.isFinite(v) || (spec.above !== undefined && !(v > spec.above))) {
    throw new UsageError(`${command}: bad value '${raw}' for --${name}; expected ${describeValue(spec)}`);
  }
  return v;
}

function describeValue(spec: FlagSpec): string {
  switch (spec.kind) {
    case 'string': return spec.choices ? `one of ${spec.choices.join(', ')}` : (spec.metavar ?? 'a string');
    case 'int': {
      const range = spec.min !== undefined && spec.max !== undefined ? ` in ${spec.min}..${spec.max}` : spec.min !== undefined ? ` >= ${spec.min}` : spec.max !== undefined ? ` <= ${spec.max}` : '';
      return `an integer${range}, in digits`;
    }
    case 'number': return spec.above !== undefined ? `a number > ${spec.above}` : 'a number';
    case 'boolean': return 'no value';
  }
}

/** The help block listing every flag of a command. */
export function formatFlagHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const meta = spec.kind === 'boolean' ? '' : ` ${spec.metavar ?? (spec.kind === 'string' && spec.choices ? spec.choices.join('|') : spec.kind === 'string' ? 'VALUE' : 'N')}`;
    const dflt = spec.kind !== 'boolean' && spec.default !== undefined ? ` (default: ${spec.default})` : '';
    return [`  --${name}${meta}`, `${spec.help}${dflt}`] as const;
  });
  rows.push(['  --help, -h', 'show this help']);
  const width = Math.min(38, Math.max(...rows.map(([l]) => l.length)) + 2);
  return rows
    .map(([l, r]) => (l.length + 2 > width ? `${l}\n${' '.repeat(width)}${r}` : `${l.padEnd(width)}${r}`))
    .join('\n');
}

// Suggests a flag within edit distance 2, to catch typos like --epoch or --learning-rate.
function closest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestD) { bestD = d; best = n; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
