/**
 * HTTP channels reuse their connections: each channel keeps its own bounded pool of
 * keep-alive sockets (keep-alive-pool.ts), and close() releases them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { createWebhookChannel } from '../../../src/alerts/channels/webhook.js';
import { createSlackChannel } from '../../../src/alerts/channels/slack.js';
import { MAX_SOCKETS_PER_CHANNEL } from '../../../src/alerts/channels/keep-alive-pool.js';
import { message } from '../helpers/alert-message.js';

/** A local peer that counts the TCP connections it accepts and the requests on each. */
const startCountingPeer = async (answer = 'ok', delayMs = 0) => {
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      setTimeout(() => res.end(answer), delayMs);
    });
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    connections: () => connections,
    requests: () => requests,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
};

// Node 20's global agent keeps connections alive too; this guards reuse through the channel's own pool.
test('a webhook channel sends 20 alerts one after another over one connection', async () => {
  const peer = await startCountingPeer();
  const channel = createWebhookChannel({ url: `${peer.url}/hook`, timeout: 5000 });
  try {
    for (let i = 0; i < 20; i++) await channel.send(message({}, { id: `a${i}` }));
    assert.equal(peer.requests(), 20);
    assert.equal(peer.connections(), 1);
  } finally {
    await channel.close?.();
    await peer.close();
  }
});

test('concurrent sends open at most MAX_SOCKETS_PER_CHANNEL connections, and close() releases them', async () => {
  const peer = await startCountingPeer('ok', 20);
  const channel = createSlackChannel({ webhook_url: `${peer.url}/services/T/B/X`, timeout: 5000 });
  try {
    await Promise.all(Array.from({ length: 40 }, (_, i) => channel.send(message({}, { id: `b${i}` }))));
    assert.equal(peer.requests(), 40);
    assert.ok(peer.connections() > 1, `expected parallel connections, got ${peer.connections()}`);
    assert.ok(peer.connections() <= MAX_SOCKETS_PER_CHANNEL, `${peer.connections()} connections for one channel`);
    assert.ok(peer.open() > 0, 'idle kept-alive sockets stay open between alerts');
    await channel.close?.();
    const deadline = Date.now() + 2000;
    while (peer.open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(peer.open(), 0, 'close() closes the kept-alive sockets');
  } finally {
    await channel.close?.();
    await peer.close();
  }
});
