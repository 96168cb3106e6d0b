import { ValueError } from './errors.js';
import type { GeneratorState } from './tensor/random.js';

/**
 * Checks of single fields that arrive both from callers and from files (checkpoints, state
 * dicts): one definition each, so a constructor and a file reader accept exactly the same
 * values. Each throws a ValueError naming `where` and the field; file readers wrap it in a
 * FormatError naming the file.
 */

/**
 * A count (epoch, step, ...): a non-negative safe integer. NaN, 1.5, -1 and 1e300 fail.
 * @example checkCount('fit', 'initialEpoch', 3) // 3
 */
export function checkCount(where: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ValueError(`${where}: ${what} must be a non-negative integer, got ${preview(v)}`);
  }
  return v;
}

/**
 * A short rendering of an untrusted value for an error message: at most `max` characters, and
 * built with an explicit stack, so a value nested 100,000 deep cannot overflow the call stack
 * the way JSON.stringify would.
 * @example preview([[[[1]]]]) // '[[[[1]]]]'
 */
export function preview(v: unknown, max = 60): string {
  const CLOSE = Symbol('close');
  type Item = unknown | { [CLOSE]: string };
  const isClose = (x: Item): x is { [CLOSE]: string } => x !== null && typeof x === 'object' && CLOSE in x;
  let out = '';
  const stack: Item[] = [v];
  while (stack.length > 0 && out.length <= max) {
    const x = stack.pop();
    if (isClose(x)) {
      out += x[CLOSE];
    } else if (Array.isArray(x)) {
      out += '[';
      stack.push({ [CLOSE]: ']' });
      for (let i = x.length - 1; i >= 0; i--) {
        stack.push(x[i]);
        if (i > 0) stack.push({ [CLOSE]: ',' });
      }
    } else if (x !== null && typeof x === 'object') {
      out += '{';
      stack.push({ [CLOSE]: '}' });
      const keys = Object.keys(x);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push((x as Record<string, unknown>)[keys[i]!]);
        stack.push({ [CLOSE]: `${i > 0 ? ',' : ''}${JSON.stringify(keys[i]!.slice(0, max))}:` });
      }
    } else if (typeof x === 'string') {
      out += JSON.stringify(x.slice(0, max));
    } else if (typeof x === 'number' || typeof x === 'boolean' || x === null) {
      out += String(x);
    } else {
      out += typeof x;
    }
  }
  return out.length > max || stack.length > 0 ? `${out.slice(0, max)}…` : out;
}

/**
 * A generator state as `Generator.getState()` returns it: four uint32 words, not all zero (the
 * xoshiro stream would then be zeros forever), and a cached normal that is null or finite.
 * @example checkGeneratorState('Generator.setState', {s: [1, 2, 3, 4], spare: null})
 */
export function checkGeneratorState(where: string, v: unknown): GeneratorState {
  const st = v as { s?: unknown; spare?: unknown } | null;
  const words = st !== null && typeof st === 'object' && !Array.isArray(st) ? st.s : undefined;
  const ok = Array.isArray(words) && words.length === 4
    && words.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
    && words.some((w) => w !== 0)
    && (st!.spare === null || (typeof st!.spare === 'number' && Number.isFinite(st!.spare)));
  if (!ok) throw new ValueError(`${where}: expected a generator state {s: [4 uint32, not all 0], spare: number | null}, got ${preview(v)}`);
  return { s: [...(words as number[])], spare: st!.spare as number | null };
}
