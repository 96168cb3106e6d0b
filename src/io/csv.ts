import { readFileSync } from 'node:fs';
import { FormatError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * How to read a labelled CSV: which column is the label, which to drop, header and delimiter.
 * @example readCsv('wdbc.csv', { labelColumn: 'diagnosis', dropColumns: ['id'] })
 */
export interface CsvOptions {
  /** the target column, by header name or index (negative counts from the end); default the last column */
  labelColumn?: string | number;
  /** columns to leave out of the features (e.g. an id), by name or index */
  dropColumns?: ReadonlyArray<string | number>;
  /** whether the first row names the columns (default true) */
  hasHeader?: boolean;
  /** the field separator (default ',') */
  delimiter?: string;
}

/**
 * A labelled CSV as tensors: features, labels, and the names of both.
 * @example const { x, y, classes } = readCsv('iris.csv', { labelColumn: 'species' });
 */
export interface CsvData {
  /** float32 [rows, features] */
  x: Tensor;
  /** int32 class indices (string or integer labels), or float32 for non-integer numeric labels */
  y: Tensor;
  /** the names of the feature columns, in the order of x's columns */
  featureNames: string[];
  /** the name of the label column */
  labelName: string;
  /** the class names for string labels, in the order of their indices (sorted); null for numeric labels */
  classes: string[] | null;
}

/**
 * How to read a CSV of features only (no label column), e.g. inputs for prediction.
 * @example readCsvFeatures('new-samples.csv', { columns: ['radius', 'texture'] })
 */
export interface CsvFeatureOptions extends Omit<CsvOptions, 'labelColumn'> {
  /** take exactly these columns, by name or index, in this order (dropColumns is then ignored) */
  columns?: ReadonlyArray<string | number>;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Grid {
  header: string[];
  lines: { no: number; cells: string[] }[];
  resolve: (c: string | number, what: string) => number;
}

/** Splits CSV text into header and rows, checking every row has the header's width. */
function parseGrid(text: string, name: string, opts: CsvOptions): Grid {
  const { hasHeader = true, delimiter = ',' } = opts;
  const lines: { no: number; cells: string[] }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return; // blank lines (e.g. the final newline) carry no row
    lines.push({ no: i + 1, cells: line.split(delimiter).map((c) => c.trim()) });
  });
  if (lines.length === 0) throw new FormatError(`${name}: the file is empty`);
  const width = lines[0]!.cells.length;
  const header = hasHeader ? lines.shift()!.cells : Array.from({ length: width }, (_, i) => String(i));
  for (const l of lines) {
    if (l.cells.length !== width) throw new FormatError(`${name}: line ${l.no} has ${l.cells.length} cells but ${hasHeader ? 'the header' : 'line 1'} has ${width}`);
  }
  const resolve = (c: string | number, what: string): number => {
    if (typeof c === 'number') {
      const i = c < 0 ? width + c : c;
      if (!Number.isInteger(i) || i < 0 || i >= width) throw new ValueError(`readCsv: ${what} ${c} is out of range for ${width} columns in ${name}`);
      return i;
    }
    const i = header.indexOf(c);
    if (i < 0) throw new ValueError(`readCsv: ${what} '${c}' is not a column of ${name}; columns: ${header.join(', ')}`);
    return i;
  };
  return { header, lines, resolve };
}

/** The given columns as a float32 [rows, cols] tensor; a non-numeric cell names its line and column. */
function numericColumns(g: Grid, cols: number[], name: string): Tensor {
  const n = g.lines.length;
  const x = new Float32Array(n * cols.length);
  g.lines.forEach((l, r) => {
    cols.forEach((c, k) => {
      const cell = l.cells[c]!;
      if (!NUMBER.test(cell)) {
        const what = cell === '' ? 'an empty cell' : `'${cell}', which is not a number`;
        throw new FormatError(`${name}: line ${l.no}, column ${c + 1} ('${g.header[c]}'): expected a number, got ${what}`);
      }
      x[r * cols.length + k] = Number(cell);
    });
  });
  return Tensor.fromRaw(x, [n, cols.length]);
}

/**
 * Parses CSV text of numeric features and one label column; `name` is used in error messages.
 * String labels become class indices 0..k-1 (sorted class names in `classes`).
 * @example const {x, y, classes} = parseCsv(text, 'iris.csv', {labelColumn: 'species'});
 */
export function parseCsv(text: string, name = 'CSV data', opts: CsvOptions = {}): CsvData {
  const g = parseGrid(text, name, opts);
  const { header, lines, resolve } = g;
  const labelCol = resolve(opts.labelColumn ?? -1, 'labelColumn');
  const dropped = new Set((opts.dropColumns ?? []).map((c) => resolve(c, 'dropColumns entry')));
  if (dropped.has(labelCol)) throw new ValueError(`readCsv: the label column '${header[labelCol]}' is also in dropColumns`);
  const featCols = header.map((_, i) => i).filter((i) => i !== labelCol && !dropped.has(i));
  const n = lines.length;
  const x = numericColumns(g, featCols, name);
  const labels = lines.map((l) => l.cells[labelCol]!);
  labels.forEach((v, r) => {
    if (v === '') throw new FormatError(`${name}: line ${lines[r]!.no}, column ${labelCol + 1} ('${header[labelCol]}'): the label is empty`);
  });
  let y: Tensor;
  let classes: string[] | null = null;
  if (labels.every((v) => NUMBER.test(v))) {
    const vals = labels.map(Number);
    y = vals.every(Number.isInteger) ? Tensor.fromRaw(Int32Array.from(vals), [n]) : Tensor.fromRaw(Float32Array.from(vals), [n]);
  } else {
    classes = [...new Set(labels)].sort();
    const index = new Map(classes.map((c, i) => [c, i]));
    y = Tensor.fromRaw(Int32Array.from(labels, (v) => index.get(v)!), [n]);
  }
  return {
    x,
    y,
    featureNames: featCols.map((c) => header[c]!),
    labelName: header[labelCol]!,
    classes,
  };
}

/**
 * Parses CSV text whose columns are all features (no label), e.g. inputs to predict.
 * @example const {x} = parseCsvFeatures('1,2\n3,4\n', 'in.csv', {hasHeader: false});
 */
export function parseCsvFeatures(text: string, name = 'CSV data', opts: CsvFeatureOptions = {}): { x: Tensor; featureNames: string[] } {
  const g = parseGrid(text, name, opts);
  const dropped = new Set((opts.dropColumns ?? []).map((c) => g.resolve(c, 'dropColumns entry')));
  const cols = opts.columns
    ? opts.columns.map((c) => g.resolve(c, 'column'))
    : g.header.map((_, i) => i).filter((i) => !dropped.has(i));
  return { x: numericColumns(g, cols, name), featureNames: cols.map((c) => g.header[c]!) };
}

/**
 * Reads a CSV file of numeric features and one label column.
 * @example const {x, y, classes} = readCsv('data/iris.csv', {labelColumn: 'species'});
 */
export function readCsv(path: string, opts: CsvOptions = {}): CsvData {
  return parseCsv(readFileSync(path, 'utf8'), path, opts);
}

/**
 * Reads a CSV file whose columns are all numeric features (no label column).
 * @example const { x, featureNames } = readCsvFeatures('inputs.csv', { dropColumns: ['id'] });
 */
export function readCsvFeatures(path: string, opts: CsvFeatureOptions = {}): { x: Tensor; featureNames: string[] } {
  return parseCsvFeatures(readFileSync(path, 'utf8'), path, opts);
}
