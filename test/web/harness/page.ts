/**
 * The browser side of the Chromium harness (chromium.ts): runs a list of cases in the page, one
 * after another, and reports each result to Node as it finishes through functions the harness
 * exposes on window. Bundled by esbuild into the page; imports nothing from Node.
 */

export interface BrowserCase {
  name: string;
  run(): Promise<void>;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
  /** why the case did not apply (it threw an Error named SkipCase) */
  skipped?: string;
  ms: number;
}

/** What the harness exposes on the page's window. */
export interface HarnessWindow {
  __harnessSetup(info: { ok: boolean; reason: string; adapter: string }): Promise<void>;
  __harnessResult(r: CaseResult): Promise<void>;
  __harnessDone(): Promise<void>;
}

const win = (): HarnessWindow => globalThis as unknown as HarnessWindow;

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 6).join('\n')}` : ''}`;
  return String(e);
}

/**
 * Reports whether the environment is usable (`setup` returns a description, or throws saying
 * why not), then runs every case and reports it.
 */
export async function runInPage(setup: () => Promise<string>, cases: () => BrowserCase[]): Promise<void> {
  const w = win();
  // outside the harness's page (node --test picks up every module under build/test) there is nothing to do
  if (typeof (w as Partial<HarnessWindow>).__harnessSetup !== 'function') return;
  let adapter: string;
  try {
    adapter = await setup();
  } catch (e) {
    await w.__harnessSetup({ ok: false, reason: describeError(e), adapter: '' });
    await w.__harnessDone();
    return;
  }
  await w.__harnessSetup({ ok: true, reason: '', adapter });
  for (const c of cases()) {
    const t0 = performance.now();
    try {
      await c.run();
      await w.__harnessResult({ name: c.name, ok: true, ms: performance.now() - t0 });
    } catch (e) {
      if (e instanceof Error && e.name === 'SkipCase') await w.__harnessResult({ name: c.name, ok: true, skipped: e.message, ms: performance.now() - t0 });
      else await w.__harnessResult({ name: c.name, ok: false, error: describeError(e), ms: performance.now() - t0 });
    }
  }
  await w.__harnessDone();
}
