// Bundles the library for the browser and the explainer page's own TypeScript into web/dist/.
// The page and its training worker import the library from one file (web/dist/backprop.js),
// so `import ... from '../../src/browser.js'` in web/src is rewritten to './backprop.js'.
// Usage: node scripts/build-web.mjs            (type-check separately: tsc -p web/tsconfig.json)
import { build } from 'esbuild';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'web', 'dist');

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  // the wasm backend loads node:worker_threads only when running under Node
  external: ['node:*'],
};

/** Resolves the library entry to the shared bundle instead of inlining it. */
const libraryAsExternal = {
  name: 'library-as-external',
  setup(b) {
    b.onResolve({ filter: /\/src\/browser\.js$/ }, () => ({ path: './backprop.js', external: true }));
  },
};

export async function buildWeb() {
  const t0 = Date.now();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const library = { backprop: join(root, 'src', 'browser.ts') };
  // runtime.ts spawns new URL('./worker.js', import.meta.url): it must sit next to backprop.js
  const wasmWorker = join(root, 'src', 'backend', 'wasm', 'worker.ts');
  if (existsSync(wasmWorker)) library.worker = wasmWorker;
  await build({ ...common, entryPoints: library, outdir });
  await build({
    ...common,
    entryPoints: { main: join(root, 'web', 'src', 'main.ts'), 'train-worker': join(root, 'web', 'src', 'train-worker.ts'), 'lm-worker': join(root, 'web', 'src', 'lm-worker.ts') },
    outdir,
    plugins: [libraryAsExternal],
  });
  return { outdir, ms: Date.now() - t0 };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outdir: dir, ms } = await buildWeb();
  console.log(`built ${dir} in ${ms} ms`);
}
