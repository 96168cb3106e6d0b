/**
 * What registering a hook returns: `remove()` unregisters it (calling it twice is harmless).
 * @example
 * const handle = x.registerHook((g) => g.clamp(-1, 1));
 * loss.backward();
 * handle.remove();
 */
export interface RemovableHandle {
  /**
   * Unregisters the hook; later passes no longer call it.
   * @example const handle = model.registerForwardHook((m, inputs, y) => console.log(y.shape)); handle.remove();
   */
  remove(): void;
}

/**
 * Appends a hook to a list and returns the handle that takes it out again; hooks then run in
 * registration order, as in PyTorch.
 * @example const handle = addHook(hooks, fn); handle.remove();
 */
export function addHook<F>(hooks: F[], fn: F): RemovableHandle {
  // a wrapper object, so the same function registered twice is removed once per handle
  const entry = [fn];
  hooks.push(fn);
  return {
    remove: () => {
      const f = entry.pop();
      if (f === undefined) return;
      const i = hooks.indexOf(f);
      if (i >= 0) hooks.splice(i, 1);
    },
  };
}
