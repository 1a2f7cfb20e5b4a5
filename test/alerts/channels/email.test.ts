/**
 * The email channel through a real SMTP server on 127.0.0.1: a relay without auth,
 * STARTTLS with required AUTH, implicit TLS; the received message's envelope, subject,
 * plain-text and HTML parts; and the failures (bad password, no STARTTLS offered,
 * refused, a server that never greets, refused recipients).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AlertDeliveryError } from '../../../src/errors.js';
import { createEmailChannel, type EmailOptions } from '../../../src/alerts/channels/email.js';
import { closedPort } from '../helpers/http-receiver.js';
import { makeCert, mimePart, startSmtpPeer, type TestCert } from '../helpers/smtp-peer.js';
import { message } from '../helpers/alert-message.js';

let cert: TestCert;
before(() => {
  cert = makeCert();
});

const base = (port: number, over: Partial<EmailOptions> = {}): EmailOptions => ({
  smtp_host: '127.0.0.1',
  smtp_port: port,
  from_email: 'panicmode@web-1.example',
  to_email: ['ops@example.com', 'oncall@example.com'],
  use_tls: false,
  timeout: 2000,
  ...over,
});

describe('email via a local relay (no auth, no TLS)', () => {
  it('delivers one message to every recipient with subject = title, a text and an HTML part', async () => {
    const peer = await startSmtpPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const ch = createEmailChannel(base(peer.port));
    try {
      const m = message({ name: 'disk<full>' }, { actionsTaken: ['snapshot saved'] });
      await ch.send(m);
      assert.equal(peer.mails.length, 1);
      const mail = peer.mails[0]!;
      assert.equal(mail.from, 'panicmode@web-1.example');
      assert.deepEqual(mail.to, ['ops@example.com', 'oncall@example.com']);
      assert.equal(mail.secure, false);
      assert.equal(mail.user, undefined);
      assert.match(mail.raw, /^From: panicmode@web-1\.example\r?$/m);
      assert.match(mail.raw, /^To: ops@example\.com, oncall@example\.com\r?$/m);
      assert.match(mail.raw, new RegExp(`^Subject: ${m.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r?$`, 'm'));
      assert.match(mail.raw, /^X-PanicMode-Alert-Id: alert-1\r?$/im);
      assert.match(mail.raw, /Content-Type: multipart\/alternative/);
      const text = mimePart(mail.raw, 'text/plain');
      const html = mimePart(mail.raw, 'text/html');
      assert.ok(text && html, 'both parts present');
      assert.equal(text.trim(), m.text);
      assert.match(html, /<h3 style="color:#b00020">CRITICAL disk&lt;full&gt; on web-1: CPU 97\.3% &gt; 80%<\/h3>/);
      assert.match(html, /Done: snapshot saved<br>/);
    } finally {
      await ch.close!();
      await peer.close();
    }
  });

  it('one transport serves several sends', async () => {
    const peer = await startSmtpPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const ch = createEmailChannel(base(peer.port, { to_email: 'solo@example.com' }));
    try {
      await ch.send(message({}, { id: 'a' }));
      await ch.send(message({ status: 'resolved', metadata: { currentValue: 20 } }, { id: 'b' }));
      assert.equal(peer.mails.length, 2);
      assert.deepEqual(peer.mails[1]!.to, ['solo@example.com']);
      assert.match(peer.mails[1]!.raw, /^Subject: RESOLVED high_cpu on web-1/m);
    } finally {
      await ch.close!();
      await peer.close();
    }
  });

  it('some recipients refused: delivered to the others, the refused reported', async () => {
    const peer = await startSmtpPeer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onRcptTo: (addr, _s, cb) => (addr.address.startsWith('gone@') ? cb(new Error('550 no such user')) : cb()),
    });
    const refusedList: string[] = [];
    const ch = createEmailChannel(base(peer.port, { to_email: ['ops@example.com', 'gone@example.com'], onPartialFailure: (r) => refusedList.push(...r) }));
    try {
      await ch.send(message());
      assert.deepEqual(peer.mails[0]!.to, ['ops@example.com']);
      assert.deepEqual(refusedList, ['gone@example.com']);
      await assert.rejects(
        createEmailChannel(base(peer.port, { to_email: 'gone@example.com' })).send(message()),
        (err: Error) => err instanceof AlertDeliveryError && /EENVELOPE/.test(err.message) && /no such user/.test(err.message),
      );
    } finally {
      await ch.close!();
      await peer.close();
    }
  });
});

describe('email with STARTTLS and required AUTH', () => {
  let peer: Awaited<ReturnType<typeof startSmtpPeer>>;
  before(async () => {
    peer = await startSmtpPeer({
      key: cert.key,
      cert: cert.cert,
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (auth, _s, cb) =>
        auth.username === 'alerts' && auth.password === 'p4ss word' ? cb(null, { user: auth.username }) : cb(new Error('Invalid username or password')),
    });
  });
  after(() => peer.close());

  it('upgrades with STARTTLS, authenticates, delivers', async () => {
    const ch = createEmailChannel(
      base(peer.port, { use_tls: true, smtp_username: 'alerts', smtp_password: 'p4ss word', tls: { ca: cert.cert, servername: 'localhost' } }),
    );
    try {
      await ch.send(message());
      const mail = peer.mails.at(-1)!;
      assert.equal(mail.secure, true);
      assert.equal(mail.user, 'alerts');
      assert.deepEqual(mail.to, ['ops@example.com', 'oncall@example.com']);
    } finally {
      await ch.close!();
    }
  });

  it('a wrong password rejects with the server reply (EAUTH 535), without the password', async () => {
    const ch = createEmailChannel(base(peer.port, { use_tls: true, smtp_username: 'alerts', smtp_password: 'nope-secret', tls: { ca: cert.cert } }));
    await assert.rejects(ch.send(message()), (err: Error) => {
      assert.ok(err instanceof AlertDeliveryError);
      assert.match(err.message, /^email: EAUTH: Invalid login: 535 Invalid username or password \(127\.0\.0\.1:\d+\)$/);
      assert.ok(!err.message.includes('nope-secret'));
      return true;
    });
    await ch.close!();
  });

  it('an untrusted certificate is refused', async () => {
    const ch = createEmailChannel(base(peer.port, { use_tls: true, smtp_username: 'alerts', smtp_password: 'p4ss word' }));
    await assert.rejects(ch.send(message()), /email: .*(self[- ]signed|certificate)/i);
    await ch.close!();
  });

  it('use_tls with a server that offers no STARTTLS refuses to send in clear', async () => {
    const plain = await startSmtpPeer({ disabledCommands: ['STARTTLS'] });
    const ch = createEmailChannel(base(plain.port, { use_tls: true }));
    try {
      await assert.rejects(ch.send(message()), /email: .*STARTTLS/i);
      assert.equal(plain.mails.length, 0);
    } finally {
      await ch.close!();
      await plain.close();
    }
  });
});

describe('email with implicit TLS', () => {
  it('secure: true speaks TLS from the first byte', async () => {
    const peer = await startSmtpPeer({ secure: true, key: cert.key, cert: cert.cert, disabledCommands: ['AUTH'] });
    const ch = createEmailChannel(base(peer.port, { secure: true, tls: { ca: cert.cert } }));
    try {
      await ch.send(message());
      assert.equal(peer.mails.length, 1);
      assert.equal(peer.mails[0]!.secure, true);
    } finally {
      await ch.close!();
      await peer.close();
    }
  });
});

describe('email faults', () => {
  it('connection refused names ECONNREFUSED', async () => {
    const ch = createEmailChannel(base(await closedPort()));
    await assert.rejects(ch.send(message()), (err: Error) => err instanceof AlertDeliveryError && /ECONNREFUSED/.test(err.message));
    await ch.close!();
  });

  it('a server that never greets: rejects within the timeout', async () => {
    const sockets = new Set<Socket>();
    const mute: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const ch = createEmailChannel(base((mute.address() as { port: number }).port, { timeout: 300 }));
    try {
      const t0 = performance.now();
      await assert.rejects(ch.send(message()), /email: .*(timed out|timeout|ETIMEDOUT)/i);
      const took = performance.now() - t0;
      assert.ok(took < 1000, `took ${took.toFixed(0)}ms`);
    } finally {
      await ch.close!();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });

  it('an aborted send rejects as aborted', async () => {
    const sockets = new Set<Socket>();
    const mute: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    // nodemailer cannot cancel a connection in flight: it ends at its own timeout, so keep that short here.
    const ch = createEmailChannel(base((mute.address() as { port: number }).port, { timeout: 800 }));
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const t0 = performance.now();
      await assert.rejects(ch.send(message(), ac.signal), /email: aborted/);
      assert.ok(performance.now() - t0 < 700, 'rejected at the abort, not the timeout');
    } finally {
      await ch.close!();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});
