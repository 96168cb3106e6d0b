import { AsyncLocalStorage } from 'node:async_hooks';
import { ContextScopes, useGradScopes } from './mode.js';

// Node only: imported for its effect by the Node entry (src/index.ts), never by src/browser.ts.
// Gives grad-mode scopes per async context, so `noGrad(async …)` cannot leak into a task that
// runs while it awaits.
useGradScopes(new ContextScopes(new AsyncLocalStorage<{ enabled: boolean }>()));
