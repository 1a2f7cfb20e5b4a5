/**
 * The control socket (`firewall.ctl_socket`): a Unix socket through which
 * `panicmode ctl` lists, bans and unblocks addresses, and lists and thaws the processes
 * PanicMode froze. It is served whether or not the firewall is enabled (ban commands
 * then answer that it is off). Root-only by its mode, 0600 from the very moment it exists.
 *
 * Why not listen() then chmod(): between the two, the socket exists with the umask's
 * mode (often 0755 → anyone may connect) and a local user could slip in a `ban` or
 * `unblock`. Why not process.umask(0o177) around listen(): the umask is process-wide,
 * and files created meanwhile by other work on libuv's thread pool (the database, log
 * files) would get it too. So: bind inside a fresh 0700 directory no one else can
 * enter, chmod there, then rename() into place — rename is atomic, so the final path
 * only ever names a 0600 socket. It also atomically replaces a stale socket left by a
 * crash, after we made sure no live agent answers on it.
 */
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmod, lstat, mkdir, mkdtemp, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BanManager } from '../firewall/ban-manager.js';
import type { FrozenRegistry } from '../actions/frozen-registry.js';
import type { Logger } from '../log/logger.js';
import { PanicModeError } from '../errors.js';
import { parseCtlRequest, type CtlRequest, type CtlResponse } from './ctl-protocol.js';

/** What the socket serves: the ban manager (null when the firewall is off) and the frozen processes. */
export interface CtlHandler {
  bans: Pick<BanManager, 'list' | 'unblock' | 'block'> | null;
  frozen: Pick<FrozenRegistry, 'list' | 'thaw'>;
}

export interface CtlSocketOptions {
  path: string;
  handler: CtlHandler;
  logger: Logger;
  /** how long answers may wait unread before the connection is closed; default 30 s */
  stallTimeoutMs?: number;
}

export interface CtlSocket {
  readonly path: string;
  /** Stops listening, closes connections, removes the socket file. */
  close(): Promise<void>;
}

/** A line longer than this is refused: requests are tiny. */
const MAX_LINE = 64 * 1024;
const DEFAULT_STALL_MS = 30_000;

export const handleCtlRequest = async (h: CtlHandler, req: CtlRequest): Promise<CtlResponse> => {
  if (req.cmd === 'frozen') return { ok: true, frozen: h.frozen.list() };
  if (req.cmd === 'thaw') {
    if (req.pid !== 'all' && !h.frozen.list().some((f) => f.pid === req.pid)) return { ok: false, error: `pid ${req.pid} was not frozen by PanicMode (panicmode ctl frozen lists those that were)` };
    const r = h.frozen.thaw(req.pid);
    return { ok: true, thawed: r.thawed, gone: r.gone };
  }
  const handler = h.bans;
  if (!handler) return { ok: false, error: 'the firewall is disabled here (firewall.enabled: false): no bans to list, lift or add' };
  switch (req.cmd) {
    case 'list':
      return { ok: true, bans: await handler.list() };
    case 'unblock': {
      const r = await handler.unblock(req.ip);
      if (r.lifted.length === 0) return { ok: false, error: `${req.ip} is not banned` };
      return { ok: true, lifted: r.lifted };
    }
    case 'ban': {
      const result = await handler.block([req.ip], { reason: 'manual ban (panicmode ctl)', durationMs: req.for_ms, exact: true });
      if (result.invalid.length > 0) return { ok: false, error: `${req.ip} is not an IP address or CIDR block` };
      if (result.skipped.length > 0) return { ok: false, error: `not banning ${result.skipped[0]!.ip}: ${result.skipped[0]!.reason}` };
      if (result.failed.length > 0) return { ok: false, error: `ban failed: ${result.failed[0]!.error}` };
      return { ok: true, result };
    }
  }
};

/**
 * One connection: requests are answered one at a time, in order, and the next request
 * is read only once the previous answer has left (or fits in) the socket's buffer. A
 * client that pipelines requests and never reads the answers therefore holds at most one
 * buffered answer and one read chunk, never an ever-growing queue; once its answers have
 * waited `stallMs` without being read, the connection is closed.
 */
const serve = (socket: Socket, handler: CtlHandler, logger: Logger, stallMs: number) => {
  let buffer = '';
  let busy = false;
  let waitingForDrain = false;
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.setTimeout(stallMs, () => {
    if (socket.writableLength === 0) return; // idle, nothing owed: a client may take its time
    logger.warn(`ctl: closing a connection that left ${socket.writableLength} bytes of answers unread for ${stallMs} ms`);
    socket.destroy();
  });

  const answer = async (line: string): Promise<CtlResponse> => {
    const req = parseCtlRequest(line);
    if (typeof req === 'string') return { ok: false, error: req };
    try {
      const res = await handleCtlRequest(handler, req);
      if (req.cmd !== 'list' && req.cmd !== 'frozen') logger.info(`ctl ${req.cmd} ${req.cmd === 'thaw' ? req.pid : req.ip}: ${res.ok ? 'done' : (res as { error: string }).error}`);
      return res;
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  };

  const pump = (): void => {
    while (!busy && !socket.destroyed) {
      if (socket.writableNeedDrain) {
        socket.pause();
        if (!waitingForDrain) {
          waitingForDrain = true;
          socket.once('drain', () => {
            waitingForDrain = false;
            pump();
          });
        }
        return;
      }
      const nl = buffer.indexOf('\n');
      if (nl === -1) {
        socket.resume();
        return;
      }
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      busy = true;
      socket.pause();
      void answer(line).then((res) => {
        busy = false;
        if (!socket.destroyed) socket.write(JSON.stringify(res) + '\n');
        pump();
      });
    }
  };

  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_LINE && !buffer.includes('\n')) {
      socket.end(JSON.stringify({ ok: false, error: 'request too long' }) + '\n');
      return;
    }
    pump();
  });
};

const isListening = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

const listen = (server: Server, path: string): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });

/** Starts the control socket at `options.path`. */
export const startCtlSocket = async (options: CtlSocketOptions): Promise<CtlSocket> => {
  const { path, handler, logger } = options;
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = await lstat(path).catch(() => null);
  if (existing) {
    if (!existing.isSocket()) throw new PanicModeError('PANICMODE_ERR_CTL_SOCKET', `firewall.ctl_socket: ${path} exists and is not a socket; not replacing it`);
    if (await isListening(path)) throw new PanicModeError('PANICMODE_ERR_CTL_SOCKET', `firewall.ctl_socket: another agent is already listening on ${path}`);
    logger.info(`replacing stale control socket ${path}`);
  }
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    serve(s, handler, logger, options.stallTimeoutMs ?? DEFAULT_STALL_MS);
  });
  const tmpDir = await mkdtemp(join(dir, '.ctl-'));
  try {
    await chmod(tmpDir, 0o700);
    const tmpPath = join(tmpDir, 's');
    await listen(server, tmpPath);
    await chmod(tmpPath, 0o600);
    await rename(tmpPath, path);
  } catch (err) {
    server.close();
    throw new PanicModeError('PANICMODE_ERR_CTL_SOCKET', `firewall.ctl_socket: cannot listen on ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  const ours = await stat(path);
  logger.info(`control socket listening on ${path}`);
  return {
    path,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      // Remove it only if it is still ours (another agent may have replaced a socket we left).
      const now = await stat(path).catch(() => null);
      if (now && now.ino === ours.ino && now.dev === ours.dev) await unlink(path).catch(() => undefined);
    },
  };
};
