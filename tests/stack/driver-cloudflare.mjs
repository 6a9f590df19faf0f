// The stack driver for the Cloudflare deployment (deploy/cloudflare): workerd with the Worker and the Wallet Durable
// Object, data under `dataDir`. Interface shared with driver-node.mjs (see tests/stack/lib.mjs):
//   start({ port, dataDir, adminKey, env }) -> { url, pid(), kill(signal), stop(), restart(), log() }
// kill(signal) sends the signal to the server process itself (workerd) and resolves when it has exited.
import { spawn } from 'node:child_process';
import { prepare, waitHealthy } from '../../deploy/cloudflare/stack.mjs';

export const name = 'cloudflare (workerd + Durable Objects, SQLite)';

export async function start({ port, dataDir, adminKey, env = {}, extra }) {
  const run = prepare({ port, dataDir, adminKey, env: { ...process.env, ...env }, extra });
  let proc = null;
  let log = '';
  async function launch() {
    proc = spawn(run.command, run.args, { env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.exited = new Promise((resolve) => proc.once('exit', resolve));
    for (const s of [proc.stdout, proc.stderr]) s.on('data', (d) => { log = (log + d).slice(-20_000); });
    await waitHealthy(run.url, proc, 30_000, () => log.slice(-2000));
  }
  const running = () => proc && proc.exitCode === null && proc.signalCode === null;
  async function kill(signal = 'SIGKILL') {
    if (!running()) return;
    proc.kill(signal);
    await proc.exited;
  }
  async function stop() {
    if (!running()) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await proc.exited;
    clearTimeout(t);
  }
  await launch();
  return {
    url: run.url,
    tokenKey: run.tokenKey,
    pid: () => proc.pid,
    kill,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    log: () => log,
  };
}
