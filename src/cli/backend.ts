import { setBackend, getBackend, initDevice, isDevice, setDefaultDevice, type DeviceInfo } from '../backend/registry.js';
import type { Device } from '../backend/backend.js';
// Loading the wasm backend registers it (as the preferred backend where WebAssembly is available).
import '../backend/wasm/index.js';
// The native CPU kernels register themselves as preferred when their addon is built (Node only).
import '../backend/native/index.js';
// Registers the webgpu device; its backend and Dawn load only when --device webgpu asks for them.
import '../backend/webgpu/device.js';
import { DeviceError } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { Tensor } from '../tensor/tensor.js';
import { toDeviceAsync } from '../ops/copy.js';
import { cast, isfinite } from '../ops/elementwise.js';
import { min } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import type { OptimizerStateDict } from '../optim/index.js';
import { UsageError, type StringFlag } from './args.js';

/** The --backend flag every command takes. */
export const BACKEND_FLAG = {
  kind: 'string', choices: ['js', 'wasm', 'native'], metavar: 'js|wasm|native',
  help: 'compute backend: js (reference), wasm (SIMD kernels, threaded matmul) or native (wasm with the matmuls in the C++ addon npm run build compiles); default: $BACKPROP_BACKEND, else native where built, else wasm',
} as const satisfies StringFlag;

/** The --device flag of train, eval and predict. */
export const DEVICE_FLAG = {
  kind: 'string', choices: ['cpu', 'webgpu'], metavar: 'cpu|webgpu',
  help: 'where the model runs: cpu (the --backend) or webgpu (a GPU through WebGPU; in Node the optional `webgpu` package); default: $BACKPROP_DEVICE, else cpu',
} as const satisfies StringFlag;

/**
 * Selects the compute backend for a command and returns its name.
 * @example useBackend('js') // 'js'
 */
export function useBackend(name: string | undefined): string {
  if (name !== undefined) setBackend(name);
  return getBackend().name;
}

/** What to do when Node finds no WebGPU adapter: the package, a Vulkan driver, or the CPU. */
const NO_ADAPTER_HELP =
  'in Node, --device webgpu needs the optional `webgpu` package (npm install webgpu) and a Vulkan driver '
  + '(without a GPU: apt-get install chromium, then LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json '
  + 'for the SwiftShader software driver, correct but slow); or use --device cpu';

/**
 * The device a command runs on (--device, else BACKPROP_DEVICE, else cpu), started. The CLI
 * builds models and loads data on the CPU and moves them explicitly, so the default device for
 * new tensors stays 'cpu'. No adapter: a one-line DeviceError saying what to do (exit code 2).
 * @example const { device } = await useDevice(undefined, 'train') // 'cpu' unless BACKPROP_DEVICE says otherwise
 */
export async function useDevice(flag: string | undefined, command: string): Promise<{ device: Device; info: DeviceInfo }> {
  const env = process.env['BACKPROP_DEVICE'];
  const name = flag ?? (env === undefined || env === '' ? 'cpu' : env);
  if (!isDevice(name)) throw new UsageError(`${command}: BACKPROP_DEVICE='${name}' is not a device; allowed: cpu, webgpu`);
  setDefaultDevice('cpu');
  try {
    return { device: name, info: await initDevice(name) };
  } catch (e) {
    if (!(e instanceof DeviceError)) throw e;
    // the first sentence of the reason, on one line: the CLI prints only the first line
    const reason = e.message.replace(/^initDevice\('webgpu'\): /, '').split(/\.\s|\n/)[0]!.replace(/\s+/g, ' ');
    throw new DeviceError(`${command} --device ${name}: no WebGPU adapter (${reason}); ${NO_ADAPTER_HELP}`);
  }
}

/**
 * Batches of a loader moved to `device` as they are drawn (the data set itself stays in host
 * memory: a GPU buffer has a size limit, 128 MiB on some adapters, and MNIST is larger).
 * @example for (const [x, y] of onDevice(loader, 'webgpu')) model.forward(x)
 */
export function onDevice<B extends readonly [Tensor, Tensor]>(
  loader: Iterable<B> & { length?: number }, device: Device,
): Iterable<readonly [Tensor, Tensor]> & { length?: number } {
  if (device === 'cpu') return loader;
  const out: Iterable<readonly [Tensor, Tensor]> & { length?: number } = {
    *[Symbol.iterator]() {
      for (const [x, y] of loader) yield [x.to(device), y.to(device)] as const;
    },
  };
  if (typeof loader.length === 'number') out.length = loader.length;
  return out;
}

/**
 * Host copies of tensors that may sit on a GPU (read back asynchronously), by name: what the
 * safetensors and checkpoint writers take, byte for byte the same as from a CPU run.
 * @example io.saveSafetensors(path, await toHost(model.stateDict()), metadata)
 */
export async function toHost(tensors: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) out[k] = t.device === 'cpu' ? t : await toDeviceAsync(t, 'cpu');
  return out;
}

/**
 * An optimizer snapshot with its buffers read back to the host (numbers and hyper-parameters as they are).
 * @example writeTrainCheckpoint(path, { ...ck, optimizerState: await optimizerStateToHost(opt.stateDict()) })
 */
export async function optimizerStateToHost(sd: OptimizerStateDict): Promise<OptimizerStateDict> {
  const state: OptimizerStateDict['state'] = {};
  for (const [k, st] of Object.entries(sd.state)) {
    const host: OptimizerStateDict['state'][string] = {};
    for (const [name, v] of Object.entries(st)) host[name] = v instanceof Tensor && v.device !== 'cpu' ? await toDeviceAsync(v, 'cpu') : v;
    state[k] = host;
  }
  return { state, paramGroups: sd.paramGroups };
}

/**
 * Whether every element of every tensor is finite, computed on their device with one readback:
 * the per-epoch divergence check of a GPU run (a CPU run checks every step on the host).
 * @example if (!(await allFinite(model.parameters()))) throw new NumericsError('diverged')
 */
export async function allFinite(tensors: readonly Tensor[]): Promise<boolean> {
  const nonEmpty = tensors.filter((t) => t.size > 0);
  if (nonEmpty.length === 0) return true;
  const flags = noGrad(() => stack(nonEmpty.map((t) => min(cast(isfinite(t.detach()), 'float32'))), 0));
  return (await min(flags).itemAsync()) === 1;
}
