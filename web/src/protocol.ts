/** Messages between the page and its worker (training and the backprop-vs-finite-differences timing). */
import type { DeviceInUse, PageDevice } from './backend-choice.js';
import type { LoopMessage } from './training-loop.js';

export type DatasetName = 'spirals' | 'moons' | 'circles' | 'xor' | 'blobs';
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'gelu';
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

export interface TrainConfig {
  dataset: DatasetName;
  /** hidden layer widths, e.g. [8, 8] */
  hidden: number[];
  activation: Activation;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  /** points in the dataset */
  n: number;
  noise: number;
  seed: number;
  /** decision-boundary grid resolution (cells per side) */
  grid: number;
  /** where the model trains: the CPU, or WebGPU (the worker falls back to the CPU if it cannot start) */
  device: PageDevice;
}

/** The training loop's messages, plus the timing run that the page's "why backprop" section asks for. */
export type ToWorker = LoopMessage<TrainConfig> | { type: 'bench'; sizes: number[] };

export interface BenchPoint {
  params: number;
  /** one forward + backward, ms */
  backpropMs: number;
  /** central differences for every parameter (2 forwards each), ms; sampled and extrapolated when `sampled < params` */
  finiteDiffMs: number;
  /** parameters actually perturbed */
  sampled: number;
}

export type FromWorker =
  | {
    type: 'ready'; run: number; backend: string; threads: number;
    /** the device training actually runs on (and why not WebGPU, if it was asked for and failed) */
    device: DeviceInUse; x: Float32Array; y: Int32Array; numClasses: number; params: number;
  }
  | {
    type: 'progress'; run: number; epoch: number; steps: number; loss: number[]; accuracy: number;
    /** class probabilities on the grid, [grid*grid, numClasses] row-major, row 0 at the top */
    grid: Float32Array; extent: [number, number, number, number]; running: boolean;
  }
  | { type: 'bench-point'; point: BenchPoint }
  | { type: 'bench-done' }
  | { type: 'error'; message: string };
