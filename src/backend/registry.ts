import type { Backend } from './backend.js';
import { JsBackend } from './js/index.js';
import { ValueError } from '../errors.js';

export type BackendName = 'js' | 'wasm';

const factories = new Map<string, () => Backend>([['js', () => new JsBackend()]]);
const instances = new Map<string, Backend>();
let current: Backend | null = null;

/** Makes a backend selectable by name (the wasm backend registers itself when loaded). */
export function registerBackend(name: string, factory: () => Backend, opts: { preferred?: boolean } = {}): void {
  factories.set(name, factory);
  if (opts.preferred && current === null && envBackend() === undefined) preferredName = name;
}

let preferredName = 'js';

function envBackend(): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.['BACKPROP_BACKEND'];
  return v === undefined || v === '' ? undefined : v;
}

/** The backend every op runs on. The first call picks BACKPROP_BACKEND, else the fastest available. */
export function getBackend(): Backend {
  if (current === null) current = instantiate(envBackend() ?? preferredName);
  return current;
}

/** Chooses the backend by name: `setBackend('js')` or `setBackend('wasm')`. */
export function setBackend(name: BackendName | string): Backend {
  current = instantiate(name);
  return current;
}

export function listBackends(): string[] {
  return [...factories.keys()];
}

function instantiate(name: string): Backend {
  const existing = instances.get(name);
  if (existing) return existing;
  const f = factories.get(name);
  if (!f) throw new ValueError(`setBackend: unknown backend '${name}'; available: ${[...factories.keys()].join(', ')}`);
  const b = f();
  instances.set(name, b);
  return b;
}
