import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The real data sets (MNIST, Fashion-MNIST, iris, wdbc) are not part of the repository: they
 * live in ../shared/data beside the checkout (see its README.md), or wherever BACKPROP_DATA
 * points. A test that needs one is skipped, with a line saying where the data goes, when it is
 * missing; under CI=true it runs and fails instead, so CI never passes by skipping.
 * Tests of behaviour do not use these: they build small fixtures themselves.
 */

/** The repository root: this file runs as build/test/helpers/shared-data.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the data sets go: $BACKPROP_DATA, else ../shared/data next to the checkout. */
export const DATA_DIR = process.env['BACKPROP_DATA'] ?? join(ROOT, '..', 'shared', 'data');

export interface SharedData {
  /** absolute path of the file or directory */
  path: string;
  /** the `skip` option for node:test: a message when the data is missing (never under CI) */
  skip: string | false;
}

/**
 * A data set under DATA_DIR by its relative path, e.g. sharedData('iris.csv').
 * @example const iris = sharedData('iris.csv'); test('...', { skip: iris.skip }, () => { requireData(iris); ... });
 */
export function sharedData(rel: string): SharedData {
  const path = join(DATA_DIR, rel);
  const missing = !existsSync(path);
  const where = relative(process.cwd(), path) || path;
  return {
    path,
    skip: missing && process.env['CI'] !== 'true'
      ? `data set missing: put ${rel} at ${where} (see shared/data/README.md), or set BACKPROP_DATA to the folder that holds it`
      : false,
  };
}

/** Fails the test when the data set is missing: reached only under CI=true, where nothing skips. */
export function requireData(d: SharedData): void {
  if (!existsSync(d.path)) assert.fail(`data set missing: ${d.path} (CI=true, so tests that need data fail instead of skipping; set BACKPROP_DATA to the data folder)`);
}
