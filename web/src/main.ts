/** The explainer page: picks a backend, then wires up the lesson, the playground and the timing chart. */
import { chooseBackend } from './backend-choice.js';
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
playground.onBackend = (name, threads) => {
  // training runs in the worker, so its backend and thread count are the ones that matter
  info.textContent = `Backend: ${name}, ${threads} thread${threads === 1 ? '' : 's'} (${main.detail})`;
  info.dataset['backend'] = name;
  info.dataset['threads'] = String(threads);
};
new LanguageModelView(document.querySelector('#lm')!);
new WhyBackprop(document.querySelector('#why')!);
document.body.dataset['ready'] = 'true';
