import type { Backend, Device } from './backend.js';
import { JsBackend } from './js/index.js';
import { DeviceError, ValueError } from '../errors.js';

/**
 * The CPU backends by name; 'js' is the reference, 'wasm' registers itself when loaded, 'native'
 * (Node) when its addon is built.
 * @example const name: BackendName = wasmAvailable() ? 'wasm' : 'js'; setBackend(name);
 */
export type BackendName = 'js' | 'wasm' | 'native';

const factories = new Map<string, () => Backend>([['js', () => new JsBackend()]]);
const instances = new Map<string, Backend>();
let current: Backend | null = null;
let preferredName = 'js';

function env(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Makes a CPU backend selectable by name (the wasm backend registers itself when loaded);
 * `preferred` makes it the default unless BACKPROP_BACKEND says otherwise.
 * @example
 * registerBackend('reference', () => new JsBackend());
 * setBackend('reference');
 */
export function registerBackend(name: string, factory: () => Backend, opts: { preferred?: boolean } = {}): void {
  factories.set(name, factory);
  if (opts.preferred && current === null && env('BACKPROP_BACKEND') === undefined) preferredName = name;
}

/**
 * The backend that runs ops on CPU tensors. The first call picks BACKPROP_BACKEND, else the
 * fastest available. @example getBackend().name // 'native' in Node where its addon is built, else 'wasm'
 */
export function getBackend(): Backend {
  if (current === null) current = instantiate(env('BACKPROP_BACKEND') ?? preferredName);
  return current;
}

/**
 * Chooses the CPU backend by name, e.g. the reference `js` to rule out a kernel bug; returns it.
 * BACKPROP_BACKEND sets the same from the environment.
 * @example setBackend('js'); // every later op on CPU tensors runs in plain TypeScript
 */
export function setBackend(name: BackendName | string): Backend {
  if (name === 'webgpu') {
    throw new ValueError("setBackend: 'webgpu' is a device, not a CPU backend; use await initDevice('webgpu') and put tensors there with {device: 'webgpu'} or .to('webgpu')");
  }
  current = instantiate(name);
  return current;
}

/**
 * The names of the CPU backends that can be selected with setBackend.
 * @example listBackends() // ['js', 'wasm', 'native']
 */
export function listBackends(): string[] {
  return [...factories.keys()];
}

/** Backends that exist but cannot run here, with why (e.g. 'native' without its addon). */
const unavailable = new Map<string, string>();

/**
 * Records that a known CPU backend cannot run here, so that asking for it says why.
 * @example markBackendUnavailable('native', 'native/build/backprop.node is not built')
 */
export function markBackendUnavailable(name: string, reason: string): void {
  if (!factories.has(name)) unavailable.set(name, reason);
}

function instantiate(name: string): Backend {
  const existing = instances.get(name);
  if (existing) return existing;
  const f = factories.get(name);
  const available = [...factories.keys()].join(', ');
  const why = unavailable.get(name);
  if (!f && why !== undefined) throw new ValueError(`setBackend: backend '${name}' is not available here: ${why}; available: ${available}`);
  if (!f) throw new ValueError(`setBackend: unknown backend '${name}'; available: ${available}`);
  const b = f();
  instances.set(name, b);
  return b;
}

// ---------- devices ----------

/**
 * What `initDevice` found: the device, its backend, and a description of the adapter.
 * @example
 * const info: DeviceInfo = await initDevice('webgpu');
 * console.log(info.backend, info.description, info.details);
 */
export interface DeviceInfo {
  /** the device that was started */
  device: Device;
  /** the name of the backend that runs its ops */
  backend: string;
  /** e.g. 'nvidia ... NVIDIA: 580.x' or 'google swiftshader' */
  description: string;
  /** limits or features worth knowing, by name */
  details: Record<string, string | number | boolean>;
}

/**
 * Starts a device's backend; throws a DeviceError saying why it cannot (and what to do).
 * @example
 * const init: DeviceInitializer = async () => {
 *   if (!('gpu' in navigator)) throw new DeviceError('webgpu: this browser has no navigator.gpu');
 *   return { backend: gpuBackend, info: { device: 'webgpu', backend: gpuBackend.name, description: 'my GPU', details: {} } };
 * };
 * registerDevice('webgpu', init);
 */
export type DeviceInitializer = () => Promise<{ backend: Backend; info: DeviceInfo }>;

const initializers = new Map<Device, DeviceInitializer>();
const deviceBackends = new Map<Device, { backend: Backend; info: DeviceInfo }>();
let defaultDevice: Device | null = null;

/**
 * Lets a device backend (webgpu) say how to start it; `initDevice` calls this once. The webgpu
 * module registers itself when imported, so users only need this for a backend of their own.
 * @example registerDevice('webgpu', async () => ({ backend, info })); await initDevice('webgpu');
 */
export function registerDevice(device: Device, init: DeviceInitializer): void {
  initializers.set(device, init);
}

export function isDevice(x: unknown): x is Device {
  return x === 'cpu' || x === 'webgpu';
}

/**
 * Starts a device and returns a description of it. 'cpu' is always there; 'webgpu' finds an
 * adapter (navigator.gpu in browsers, the optional `webgpu` package in Node) or throws a
 * DeviceError saying why not and what to do.
 * @example const info = await initDevice('webgpu'); console.log(info.description);
 */
export async function initDevice(device: Device): Promise<DeviceInfo> {
  if (!isDevice(device)) throw new ValueError(`initDevice: unknown device '${String(device)}'; expected 'cpu' or 'webgpu'`);
  if (device === 'cpu') {
    const b = getBackend();
    return { device, backend: b.name, description: `CPU (${b.name} backend)`, details: {} };
  }
  const ready = deviceBackends.get(device);
  if (ready) return ready.info;
  const init = initializers.get(device);
  if (!init) {
    throw new DeviceError(`initDevice: no '${device}' backend is loaded in this build; import the library's main entry (backprop or backprop/browser), which registers it`);
  }
  const started = await init();
  deviceBackends.set(device, started);
  return started.info;
}

/** Whether a device has been started (cpu always has). */
export function deviceReady(device: Device): boolean {
  return device === 'cpu' || deviceBackends.has(device);
}

/**
 * The backend that runs ops on tensors of `device`; throws a DeviceError if the device was not
 * started with initDevice.
 * @example const values = await backendFor('webgpu').read(x.storage);
 */
export function backendFor(device: Device): Backend {
  if (device === 'cpu') return getBackend();
  const d = deviceBackends.get(device);
  if (!d) throw new DeviceError(`device '${device}' is not started: call await initDevice('${device}') first`);
  return d.backend;
}

/**
 * Where new tensors go when no `{device}` is given: 'cpu' unless BACKPROP_DEVICE or
 * setDefaultDevice says otherwise. @example setDefaultDevice('webgpu')
 */
export function getDefaultDevice(): Device {
  if (defaultDevice === null) {
    const v = env('BACKPROP_DEVICE') ?? 'cpu';
    if (!isDevice(v)) throw new ValueError(`BACKPROP_DEVICE: unknown device '${v}'; expected 'cpu' or 'webgpu'`);
    defaultDevice = v;
  }
  return defaultDevice;
}

/** Sets where new tensors go by default. @example await initDevice('webgpu'); setDefaultDevice('webgpu') */
export function setDefaultDevice(device: Device): void {
  if (!isDevice(device)) throw new ValueError(`setDefaultDevice: unknown device '${String(device)}'; expected 'cpu' or 'webgpu'`);
  defaultDevice = device;
}
