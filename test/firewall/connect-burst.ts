/**
 * TCP connects from chosen source addresses, for rate-limit tests: run inside a test
 * netns (`ip netns exec`), it listens on `server` (or, given `port`, connects to a
 * server already listening there, in another namespace) and opens connections from each
 * source, `count` of them `spacingMs` apart (0 = all at once), each given `timeoutMs` to
 * be accepted. A connection whose SYN is dropped never completes within that time.
 * Prints `{ "<source>": { ok, failed } }` as JSON.
 *
 * Usage: node --import tsx connect-burst.ts '<json of ConnectPlan>'
 *        node --import tsx connect-burst.ts --serve ADDRESS PORT
 */
import { createServer, connect } from 'node:net';

export interface ConnectPlan {
  server: string;
  /** a server's port to connect to; absent = listen on `server` here */
  port?: number;
  timeoutMs: number;
  sources: { address: string; count: number; spacingMs: number }[];
}

const tryOnce = (server: string, port: number, localAddress: string, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: server, port, localAddress });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });

const main = async (plan: ConnectPlan) => {
  const server = plan.port === undefined ? createServer((c) => c.destroy()) : null;
  if (server) await new Promise<void>((r) => server.listen(0, plan.server, r));
  const port = plan.port ?? (server!.address() as { port: number }).port;
  const out: Record<string, { ok: number; failed: number }> = {};
  await Promise.all(
    plan.sources.map(async (src) => {
      const attempts: Promise<boolean>[] = [];
      for (let i = 0; i < src.count; i++) {
        if (i > 0 && src.spacingMs > 0) await new Promise((r) => setTimeout(r, src.spacingMs));
        attempts.push(tryOnce(plan.server, port, src.address, plan.timeoutMs));
      }
      const results = await Promise.all(attempts);
      out[src.address] = { ok: results.filter(Boolean).length, failed: results.filter((x) => !x).length };
    }),
  );
  server?.close();
  process.stdout.write(JSON.stringify(out));
};

if (process.argv[2] && process.argv[2] !== '--serve') void main(JSON.parse(process.argv[2]) as ConnectPlan);

/** Listens on `address`:`port` until killed (the server half when the clients are in another namespace). */
if (process.argv[2] === '--serve') {
  createServer((c) => c.destroy()).listen(Number(process.argv[4]), process.argv[3], () => process.stdout.write('listening\n'));
}
