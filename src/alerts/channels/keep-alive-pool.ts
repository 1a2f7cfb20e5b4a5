/**
 * A channel's own pool of keep-alive connections for its HTTP POSTs.
 *
 * Without one, got opens (and for https, handshakes) a new TCP connection per alert.
 * Each channel gets its own agents, so a channel whose peer hangs holds only its own
 * sockets and can never starve another channel of connections; `maxSockets` bounds how
 * many one channel opens to one peer (requests beyond it wait for a free socket).
 * Idle sockets are closed after IDLE_SOCKET_MS, or a second before the timeout the
 * server announces in `Keep-Alive: timeout=N` when that is sooner (node does this when
 * the agent has a timeout), so a socket the server is about to drop is not reused.
 * The channel's close() destroys the pool.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Most connections one channel keeps open to one peer. */
export const MAX_SOCKETS_PER_CHANNEL = 8;
/** How long an idle kept-alive socket is kept, ms (node's own http server drops them after 5 s). */
export const IDLE_SOCKET_MS = 4000;

export interface KeepAlivePool {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  /** Closes every socket, idle or not; a later POST opens new ones. */
  close(): void;
}

export const createKeepAlivePool = (maxSockets = MAX_SOCKETS_PER_CHANNEL): KeepAlivePool => {
  // `timeout` is the idle-socket timeout here: on a socket in use it only emits an event
  // nobody acts on (got enforces the attempt's own timeout).
  const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
  const http = new HttpAgent(options);
  const https = new HttpsAgent(options);
  return {
    http,
    https,
    close: () => {
      http.destroy();
      https.destroy();
    },
  };
};
