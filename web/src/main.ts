/**
 * The explainer page: picks a backend, offers WebGPU where the browser has an adapter, then wires
 * up the lesson, the playground and the timing chart. The header names the device the playground
 * trains on (and why not WebGPU, if it was chosen and failed to start).
 */
import { chooseBackend, webgpuAvailability } from './backend-choice.js';
import { LessonView } from './lesson.js';
import { Playground } from './playground.js';
import { WhyBackprop } from './why.js';
import { LanguageModelView } from './language-model.js';

const info = document.querySelector<HTMLElement>('#backend-info')!;
const main = chooseBackend();
info.textContent = `Backend: ${main.name} (${main.detail})`;
info.title = main.detail;

new LessonView(document.querySelector('#lesson')!);
const playground = new Playground(document.querySelector('#playground')!);
playground.onDevice = (backend, device) => {
  // training runs in the worker, so its backend, thread count and device are the ones that matter
  const cpu = `Backend: ${backend.name}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'} (${main.detail})`;
  info.textContent = device.device === 'webgpu'
    ? `Device: ${device.label} · CPU backend: ${backend.name}`
    : `Device: CPU · ${cpu}${device.fallback ? ` · using the CPU: ${device.fallback}` : ''}`;
  info.dataset['backend'] = backend.name;
  info.dataset['threads'] = String(backend.threads);
  info.dataset['device'] = device.device;
  if (device.fallback) info.dataset['fallback'] = device.fallback; else delete info.dataset['fallback'];
};
const lm = new LanguageModelView(document.querySelector('#lm')!);
new WhyBackprop(document.querySelector('#why')!);
document.body.dataset['ready'] = 'true';

// asking for an adapter takes a moment: the page works on the CPU meanwhile
void webgpuAvailability().then((a) => {
  playground.offerWebGpu(a);
  lm.offerWebGpu(a);
  document.body.dataset['webgpu'] = a.available ? 'available' : 'unavailable';
});
