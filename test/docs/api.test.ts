/**
 * The API reference: TypeDoc (typedoc.json) with its notDocumented validation and our
 * @example check (scripts/typedoc-examples.mjs) must pass with no warning, so every public
 * export, and every method of an exported class, has a doc comment, and every export an example.
 * `npm run docs` writes the same reference as HTML into docs/api.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// build/test/docs/api.test.js → repo root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

test('TypeDoc builds the API reference with every export documented, each with an @example', () => {
  const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
  const r = spawnSync(process.execPath, [typedoc, '--emit', 'none'], { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  const output = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const problems = output.split('\n').filter((l) => /^\[(warning|error)\]/.test(l) && !/^\[(warning|error)\] Found \d+ errors/.test(l));
  const missing = problems.filter((l) => /does not have any documentation|without an @example/.test(l));
  const other = problems.filter((l) => !missing.includes(l));
  const report = [
    missing.length ? `${missing.length} public API items lack a doc comment or an @example:\n${missing.map((l) => `  ${l.replace(/^\[warning\] /, '')}`).join('\n')}` : '',
    other.length ? `other TypeDoc problems:\n${other.map((l) => `  ${l}`).join('\n')}` : '',
  ].filter(Boolean).join('\n');
  assert.equal(r.error, undefined, `typedoc did not run: ${r.error?.message}`);
  assert.ok(r.status === 0 && problems.length === 0, `typedoc exited with ${r.status}\n${report || output}`);
});
