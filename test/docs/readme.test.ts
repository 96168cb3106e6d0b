import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { transformSync } from 'esbuild';

/** The README's code blocks are programs a newcomer copies: each must run against the built library. */
const root = process.cwd();
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const entry = pathToFileURL(resolve(root, 'dist/index.js')).href;

test('README has the quick-start example', () => {
  assert.ok(blocks.length >= 2, 'expected at least two ts blocks in README.md');
  assert.match(blocks[0]!, /loss\.backward\(\)/);
});

test('README ts blocks type-check under strict TypeScript', () => {
  const dir = mkdtempSync(join(tmpdir(), 'readme-tsc-'));
  try {
    const files = blocks.map((code, i) => {
      const file = join(dir, `block${i + 1}.ts`);
      writeFileSync(file, code.replaceAll("from 'backprop'", `from '${resolve(root, 'dist/index.js')}'`));
      return file;
    });
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', ...files], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

blocks.forEach((code, i) => {
  test(`README ts block ${i + 1} runs`, () => {
    const js = transformSync(code.replaceAll("from 'backprop'", `from '${entry}'`), { loader: 'ts', format: 'esm' }).code;
    const dir = mkdtempSync(join(tmpdir(), 'readme-'));
    try {
      const file = join(dir, `block${i + 1}.mjs`);
      writeFileSync(file, js);
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `block ${i + 1} failed:\n${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('every backprop name in the "From PyTorch" table exists in the built library', async () => {
  const section = readme.split(/^## From PyTorch$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  assert.ok(rows.length >= 20, `expected the From PyTorch table in README.md, found ${rows.length} rows`);
  const lib = (await import(entry)) as Record<string, unknown> & { tensor: (v: number[], o?: object) => object };
  const nnLib = lib['nn'] as { Linear: new (i: number, o: number) => object };
  const optimLib = lib['optim'] as { SGD: new (p: object[], o: { lr: number }) => object };
  const model = new nnLib.Linear(1, 1);
  const x = lib.tensor([1], { requiresGrad: true });
  // the names a row's code starts from: a tensor, a model, an optimizer, or the library itself
  const roots: Record<string, unknown> = { x, loss: x, model, opt: new optimLib.SGD((model as { parameters(): object[] }).parameters(), { lr: 0.1 }) };
  const missing: string[] = [];
  for (const row of rows) {
    const ours = row.split('|')[2] ?? '';
    for (const [, code] of ours.matchAll(/`([^`]+)`/g)) {
      const path = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/.exec(code!)?.[0];
      if (!path) continue;
      const [head, ...rest] = path.split('.');
      let v: unknown = head! in roots ? roots[head!] : lib[head!];
      for (const k of rest) v = v !== null && (typeof v === 'object' || typeof v === 'function') && k in v ? (v as Record<string, unknown>)[k] : undefined;
      if (v === undefined) missing.push(`${path} (in \`${code}\`)`);
    }
  }
  assert.deepEqual(missing, []);
});
