// The benchmark's baseline: the same route forwarded to origin with no pre-check (body read and re-sent like the
// pre-check does, so the difference measured is the token check and the quote).
export default {
  async fetch(request, env) {
    const text = await request.text();
    return env.ORIGIN.fetch(new Request(request.url, { method: 'POST', headers: request.headers, body: text }));
  },
};
