/**
 * log_failures monitors over their real sources: two monitors on one log file with the
 * same filter share one follower and each fires at its own threshold (real SQLite for
 * the cursors, a real file appended); a journal match reads the service's entries
 * through a (fake) journalctl with the filter's parsing — nginx's plain lines carry
 * their own timestamp in MESSAGE, Postfix's and Dovecot's are syslog messages.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { merge } from 'rxjs';
import { openDatabase } from '../../src/storage/database.js';
import { decodeConfig, parseYaml } from '../../src/config/load.js';
import { logFailureMonitors } from '../../src/auth/log-failure-monitors.js';
import { authFailures$, createAuthCounters } from '../../src/auth/auth-failures.js';
import { journalArgs, parseJournalEntry } from '../../src/auth/journal-source.js';
import { AuthLineMatcher } from '../../src/auth/parse-auth-line.js';
import { loadFilter } from '../../src/auth/filters/load-filter.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { Incident } from '../../src/model/incident.js';
import { collect, until } from './follow-helpers.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'panicmode-jail-src-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('log_failures sources', () => {
  test('two monitors on one file and filter: one follower, each monitor its own threshold and incident type', async () => {
    const log = join(dir, 'error.log');
    writeFileSync(log, '');
    const { config, problems } = decodeConfig(
      parseYaml(`monitors:
  - name: nginx fast
    type: log_failures
    filter: nginx-http-auth
    paths: [${log}]
    threshold: 2
    window: 1m
    actions: [block_ip]
  - name: nginx slow
    type: log_failures
    filter: nginx-http-auth
    paths: [${log}]
    threshold: 4
    window: 1h
    actions: [alert_warning]
`).value,
    );
    assert.deepEqual(problems, []);
    const opened = await openDatabase(join(dir, 'a.db'));
    try {
      const logger = memoryLogger();
      const jails = logFailureMonitors(config!, { db: opened.db, logger });
      assert.equal(jails.incidents.length, 2);
      assert.equal(jails.counters.size, 1, 'one follower for both');
      const c = collect(merge(...jails.incidents.map((j) => j.incidents$)));
      await until(() => logger.lines.some((l) => /nginx fast: following \S*error\.log from its end/.test(l)), 10_000, 'the follower to open the log');
      const lines = Array.from(
        { length: 5 },
        (_, i) => `2026/11/21 10:00:0${i} [error] 7#7: *${i} user "admin": password mismatch, client: 203.0.113.44, server: x, request: "GET / HTTP/1.1", host: "x"\n`,
      );
      appendFileSync(log, lines.join(''));
      const got: Incident[] = await c.waitFor(2, 10_000);
      await until(() => [...jails.counters.values()][0]!.lines === 5);
      c.sub.unsubscribe();
      // more than 2 failures: the 3rd fires (the count then starts again); more than 4: the 5th
      assert.deepEqual(
        got.map((i) => [i.name, i.metadata.currentValue, i.metadata.monitorType, i.metadata.ips]).sort(),
        [
          ['nginx fast', 3, 'log_failures', ['203.0.113.44']],
          ['nginx slow', 5, 'log_failures', ['203.0.113.44']],
        ],
      );
      assert.match(got[0]!.description, /nginx-http-auth failures from 203\.0\.113\.44/);
      const [counters] = [...jails.counters.values()];
      assert.equal(counters!.lines, 5);
      assert.equal(counters!.matched, 5);
    } finally {
      await opened.close();
    }
  });

  test('IPv6 rotating inside one /64 is one offender for a jail too (firewall.ipv6_prefix), as for SSH', async () => {
    const log = join(dir, 'v6-error.log');
    writeFileSync(log, '');
    const { config, problems } = decodeConfig(
      parseYaml(`monitors:
  - name: nginx v6
    type: log_failures
    filter: nginx-http-auth
    paths: [${log}]
    threshold: 4
    window: 1m
    actions: [block_ip]
firewall:
  ipv6_prefix: 64
`).value,
    );
    assert.deepEqual(problems, []);
    const opened = await openDatabase(join(dir, 'v6.db'));
    let stop = () => {};
    try {
      const logger = memoryLogger();
      const jails = logFailureMonitors(config!, { db: opened.db, logger });
      const c = collect(merge(...jails.incidents.map((j) => j.incidents$)));
      stop = () => c.sub.unsubscribe();
      await until(() => logger.lines.some((l) => /nginx v6: following \S*v6-error\.log from its end/.test(l)), 10_000, 'the follower to open the log');
      // five addresses of one /64, one failure each: per address nobody is over 4
      const lines = Array.from(
        { length: 5 },
        (_, i) => `2026/11/21 10:00:0${i} [error] 7#7: *${i} user "admin": password mismatch, client: 2001:db8:77:1::${i + 1}, server: x, request: "GET / HTTP/1.1", host: "x"\n`,
      );
      appendFileSync(log, lines.join(''));
      const [incident] = await c.waitFor(1, 10_000);
      assert.equal(incident!.metadata.currentValue, 5);
      assert.match(incident!.key, /\|2001:db8:77:1::\/64$/);
    } finally {
      stop();
      await opened.close();
    }
  });

  test('journal entries through the filter: nginx (plain, timestamp in MESSAGE), postfix, dovecot', () => {
    const nginx = new AuthLineMatcher({ filter: loadFilter('nginx-http-auth') });
    const r = parseJournalEntry(
      {
        _COMM: 'nginx',
        _PID: '7',
        __REALTIME_TIMESTAMP: '1795255201000000',
        MESSAGE: '2026/11/21 10:00:01 [error] 7#7: *1 user "bob" was not found in "/etc/nginx/htpasswd", client: 203.0.113.45, server: x, request: "GET / HTTP/1.1", host: "x"',
      },
      nginx,
    );
    assert.equal(r.trusted, true);
    assert.equal(r.failure?.ip, '203.0.113.45');
    assert.equal(r.failure?.ts, 1795255201000, 'the journal\'s own time');
    const postfix = new AuthLineMatcher({ filter: loadFilter('postfix', 'auth') });
    assert.equal(
      parseJournalEntry({ _COMM: 'smtpd', _PID: '9', MESSAGE: 'warning: unknown[203.0.113.46]: SASL LOGIN authentication failed: UGFzc3dvcmQ6' }, postfix).failure?.ip,
      '203.0.113.46',
    );
    const dovecot = new AuthLineMatcher({ filter: loadFilter('dovecot') });
    assert.equal(
      parseJournalEntry({ _COMM: 'imap-login', _PID: '11', MESSAGE: 'Disconnected (auth failed, 1 attempts in 2 secs): user=<a>, method=PLAIN, rip=203.0.113.47, lip=192.0.2.1' }, dovecot)
        .failure?.ip,
      '203.0.113.47',
    );
  });

  test('a journal match: journalctl is asked for it, and the matched entries are read with the filter', async () => {
    const fake = join(dir, 'journalctl');
    const argsFile = join(dir, 'args.json');
    const entry = (o: Record<string, unknown>) => JSON.stringify({ __REALTIME_TIMESTAMP: '1795255201000000', ...o });
    const lines = [
      entry({ _COMM: 'smtpd', _PID: '9', _SYSTEMD_UNIT: 'postfix@-.service', MESSAGE: 'warning: unknown[203.0.113.48]: SASL PLAIN authentication failed: x' }),
      entry({ _COMM: 'smtpd', _PID: '9', _SYSTEMD_UNIT: 'postfix@-.service', MESSAGE: 'connect from unknown[203.0.113.48]' }),
    ];
    writeFileSync(
      fake,
      `#!/usr/bin/env node
require('fs').writeFileSync(${JSON.stringify(argsFile)}, JSON.stringify(process.argv.slice(2)));
process.stdout.write(${JSON.stringify(lines.join('\n') + '\n')});
setInterval(() => {}, 1000);
`,
    );
    chmodSync(fake, 0o755);
    const counters = createAuthCounters();
    const c = collect(
      authFailures$({ source: 'journal', journalctl: fake, counters, logger: memoryLogger(), filter: loadFilter('postfix', 'auth'), journalMatches: ['_SYSTEMD_UNIT=postfix@-.service'] }),
    );
    const [f] = await c.waitFor(1);
    assert.equal(f!.ip, '203.0.113.48');
    assert.equal(f!.pattern, 'sasl-failed');
    await until(() => counters.lines === 2);
    c.sub.unsubscribe();
    assert.deepEqual(counters, { lines: 2, matched: 1, forged: 0, skipped: 1, overlong: 0 });
    assert.deepEqual(JSON.parse(readFileSync(argsFile, 'utf8')), journalArgs(['_SYSTEMD_UNIT=postfix@-.service']));
  });
});
