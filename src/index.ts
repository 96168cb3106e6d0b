/**
 * backprop: tensors, define-by-run autograd, and the network tools built on them.
 *
 * `import ... from 'backprop'` is the whole library for Node. `backprop/browser` is the same
 * minus `io` (file formats need node:fs): bundle it for a web page.
 * @example
 * import { tensor } from 'backprop';
 * const w = tensor([1, -2], { requiresGrad: true });
 * const loss = w.mul(tensor([1, -1])).sum().sigmoid();
 * loss.backward();
 * console.log(w.grad?.toArray());
 * @packageDocumentation
 */
// Node: grad-mode scopes follow async contexts (AsyncLocalStorage); see autograd/mode.ts
import './autograd/async-context-node.js';
export * from './browser.js';
// Node only: the native CPU kernels (a C++ addon built at install), preferred over wasm when built
export { NativeBackend, nativeInfo, type NativeInfo } from './backend/native/index.js';
// Node only: file formats read and written with node:fs
export * as io from './io/index.js';
export { ExportError } from './errors.js';
