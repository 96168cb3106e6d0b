/** Messages between the page's language-model section and its worker. */
import type { DeviceInUse, PageDevice } from './backend-choice.js';
import type { LoopMessage } from './training-loop.js';

/**
 * Where the model trains: the CPU, or 'webgpu' where the browser has an adapter (the worker
 * starts the device with initDevice and moves the model there; the CPU if that fails).
 */
export type LmDevice = PageDevice;

export interface LmConfig {
  /** the training text (the first 90% trains, the last 10% validates) */
  text: string;
  layers: number;
  heads: number;
  embd: number;
  block: number;
  batchSize: number;
  lr: number;
  /** steps between a loss estimate and a new sample */
  evalEvery: number;
  /** characters in each sample */
  sampleLength: number;
  seed: number;
  device: LmDevice;
}

export type ToLmWorker = LoopMessage<LmConfig>;

export type FromLmWorker =
  | { type: 'ready'; run: number; backend: string; device: DeviceInUse; params: number; vocab: number; trainChars: number; valChars: number }
  | {
    type: 'progress'; run: number; step: number; trainLoss: number; valLoss: number;
    /** training tokens per second since the previous report (0 before any training) */
    tokensPerSecond: number;
    /** a sample from the model as it is now */
    sample: string;
    running: boolean;
  }
  | { type: 'error'; run: number; message: string };
