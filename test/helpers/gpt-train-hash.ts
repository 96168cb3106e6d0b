/**
 * A child process for test/perf/determinism.test.ts: trains a small GPT for a few AdamW steps on
 * the wasm backend with 2 threads and prints a hash of its weights. Several run at once so that
 * the runtime's worker threads wake late, as they do on a loaded machine.
 */
import { createHash } from 'node:crypto';
import { manualSeed, nn, optim, randint, setBackend } from '../../src/index.js';
import { setNumThreads } from '../../src/backend/wasm/index.js';

setBackend('wasm');
setNumThreads(2);
manualSeed(0);
// sized so that attention and its gradient run as parallel jobs between threaded matmuls
const model = new nn.GPT({ vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0 });
const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
for (let step = 0; step < Number(process.argv[2] ?? 12); step++) {
  const x = randint(0, 65, [12, 64]), y = randint(0, 65, [12, 64]);
  opt.zeroGrad();
  model.loss(x, y).backward();
  opt.step();
}
const h = createHash('sha256');
for (const p of model.parameters()) h.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
process.stdout.write(`${h.digest('hex')}\n`);
