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
