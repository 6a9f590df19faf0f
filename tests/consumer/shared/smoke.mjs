// The runtime smoke test (Node, Deno): the scenario against the package as installed from the tarball, printed as JSON.
import * as engine from 'credit-engine';
import { scenario } from './scenario.mjs';

console.log(JSON.stringify(await scenario(engine)));
