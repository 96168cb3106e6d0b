// Readies .gpu/ (made by ../shared/gpu/pack) for a GPU machine that has no node_modules
// (../shared/gpu/README.md): bundles the GPU benchmark's peer children (bench/gpu/tfjs.ts,
// bench/gpu/jax.ts) into .gpu/peers/, one self-contained file each, and copies backprop's runtime
// dependencies into .gpu/deps/. bench/gpu/device-run.sh puts both in place there. Dawn stays
// external: .gpu/device-env.sh installs it as node_modules/webgpu.
// Usage (after `npm run build:test` and ../shared/gpu/pack): node scripts/gpu-peers.mjs
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, '.gpu', 'peers');
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { tfjs: join(root, 'bench/gpu/tfjs.ts'), jax: join(root, 'bench/gpu/jax.ts') },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  external: ['webgpu'],
  // CommonJS parts of the peers call require(); an ESM bundle needs one of its own
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});

// backprop's own runtime dependencies (protobufjs for ONNX), as installed
const deps = join(root, '.gpu', 'deps');
rmSync(deps, { recursive: true, force: true });
for (const name of Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies ?? {})) {
  cpSync(join(root, 'node_modules', name), join(deps, name), { recursive: true });
}
console.log(`bundled the GPU peers into ${outdir}; runtime dependencies in ${deps}`);
