/** Global autograd switches. Kept in one small module so ops can read them cheaply. */
export const mode = {
  gradEnabled: true,
  checkNumerics: false,
};

/**
 * Runs fn without recording a graph, like `torch.no_grad()`.
 * @example const pred = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  const prev = mode.gradEnabled;
  mode.gradEnabled = false;
  try {
    return fn();
  } finally {
    mode.gradEnabled = prev;
  }
}

/** Runs fn with graph recording forced on (used inside backward when createGraph is set). */
export function enableGrad<T>(fn: () => T): T {
  const prev = mode.gradEnabled;
  mode.gradEnabled = true;
  try {
    return fn();
  } finally {
    mode.gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return mode.gradEnabled;
}

/** When on, every op checks its float output for NaN/Inf and throws a NumericsError naming the op. */
export function setCheckNumerics(on: boolean): void {
  mode.checkNumerics = on;
}
