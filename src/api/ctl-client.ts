/**
 * The client side of the control socket: one request, one response line. Errors say
 * in words what is wrong (no agent, a stale socket, no permission).
 */
import { createConnection } from 'node:net';
import { PanicModeError } from '../errors.js';
import type { CtlRequest, CtlResponse } from './ctl-protocol.js';

export const ctlRequest = (path: string, request: CtlRequest, timeoutMs = 15_000): Promise<CtlResponse> =>
  new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    const fail = (message: string, cause?: unknown) => {
      socket.destroy();
      reject(new PanicModeError('PANICMODE_ERR_CTL_CONNECT', message, { cause }));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer from the agent on ${path} within ${timeoutMs} ms`));
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, nl)) as CtlResponse);
      } catch (err) {
        fail(`the agent on ${path} answered something that is not JSON`, err);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') fail(`no agent is listening: ${path} does not exist (is \`panicmode run\` running? is firewall.ctl_socket the same?)`, err);
      else if (err.code === 'ECONNREFUSED') fail(`no agent is listening on ${path} (a stale socket from a stopped agent)`, err);
      else if (err.code === 'EACCES' || err.code === 'EPERM') fail(`permission denied on ${path} (the socket is 0600: run as the agent's user, usually root)`, err);
      else fail(`cannot talk to the agent on ${path}: ${err.message}`, err);
    });
    socket.on('end', () => {
      if (!buffer.includes('\n')) fail(`the agent on ${path} closed the connection without answering`);
    });
  });
