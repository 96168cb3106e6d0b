/**
 * File formats (Node only except where noted): IDX/MNIST, CSV, safetensors, atomic writes,
 * training checkpoints and ONNX export.
 * @example
 * const {x, y} = io.loadMnist('data/mnist', {split: 'train', limit: 10000});
 * io.saveCheckpoint('ckpt.safetensors', {model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3});
 * @packageDocumentation
 */
export { parseIdx, parseIdxHeader, readIdx, readIdxBytes, readMaybeGzip, unpackIdx, type IdxHeader, type IdxOptions } from './idx.js';
export { loadMnist, type MnistOptions } from './mnist.js';
export { parseCsv, readCsv, parseCsvFeatures, readCsvFeatures, type CsvOptions, type CsvFeatureOptions, type CsvData } from './csv.js';
export {
  serializeSafetensors, parseSafetensors, type SafetensorsContent, type SafetensorsWriteOptions, type SafetensorsFloatDType,
} from './safetensors.js';
export { saveSafetensors, loadSafetensors, readSafetensorsMetadata } from './safetensorsFile.js';
export { writeFileAtomic, checkWritable } from './atomic.js';
export { saveCheckpoint, loadCheckpoint, parseCheckpoint, type Checkpoint, type JsonValue } from './checkpoint.js';
export { exportOnnx, serializeOnnx, MIN_OPSET, MAX_OPSET, type OnnxExportOptions, type OnnxExportResult } from './onnx/export.js';
export { exportableOps } from './onnx/exporters.js';
