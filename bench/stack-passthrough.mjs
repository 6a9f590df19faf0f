// The baseline of `make bench-stack`: a Worker that routes /v1/accounts/{account}/... to a Durable Object of that
// account exactly as the wallet service does (idFromName, stub.fetch, the body streamed through), where the object
// reads the body and answers at once: no admin-key check, no engine, no SQLite. The difference to the wallet
// service is what the engine call and the storage commit cost.
import { DurableObject } from 'cloudflare:workers';

export class Echo extends DurableObject {
  async fetch(request) {
    await request.arrayBuffer();
    return new Response('{"ok":true}', { headers: { 'content-type': 'application/json; charset=utf-8' } });
  }
}

export default {
  async fetch(request, env) {
    const m = /^\/v1\/accounts\/([^/]+)/.exec(new URL(request.url).pathname);
    if (!m) return new Response('{"code":"E_NOT_FOUND"}', { status: 404 });
    const stub = env.ECHO.get(env.ECHO.idFromName(m[1]));
    return stub.fetch('https://echo.internal/', { method: 'POST', body: request.body });
  },
};
