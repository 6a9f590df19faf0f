// The page every bundler builds: imports the package by name, runs the scenario and writes each result into the DOM,
// where the runner reads it from headless Chromium.
import * as engine from 'credit-engine';
import { scenario } from './scenario.mjs';

const show = (id, value) => {
  document.getElementById(id).textContent = String(value);
};

scenario(engine).then(
  (result) => {
    for (const [key, value] of Object.entries(result)) show(key, value);
    document.body.dataset.state = 'done';
  },
  (err) => {
    show('failure', `${err?.code ?? ''} ${err?.stack ?? err}`);
    document.body.dataset.state = 'failed';
  },
);
