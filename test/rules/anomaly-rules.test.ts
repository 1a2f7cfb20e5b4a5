import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { from, map } from 'rxjs';
import { anomalyRules } from '../../src/rules/anomaly-rules.js';
import { compileRule } from '../../src/rules/compile-rule.js';
import { emptyMetrics, type Metrics } from '../../src/model/metrics.js';

const options = {
  cpu_spike_threshold: 95,
  memory_spike_threshold: 95,
  connection_spike_threshold: 10_000,
  suspicious_ip_threshold: 3,
  high_load_threshold: 10,
  suspicious_connections_per_ip: 50,
};
const rule = (name: string) => anomalyRules(options).find((r) => r.name === name)!;

const net = (ts: number, perIp: Record<string, number>): Metrics => ({
  ...emptyMetrics(ts),
  network: {
    connectionsByState: {},
    totalConnections: Object.values(perIp).reduce((a, b) => a + b, 0),
    establishedPerRemoteIp: perIp,
    newConnectionsPerSec: 0,
    rxBytesPerSec: 0,
    txBytesPerSec: 0,
  },
});

test('connection flood: each address over the per-IP limit is its own incident carrying its IP for block_ip', () => {
  // Several incidents in one tick: collected in order rather than drawn as marble groups.
  const seen: string[] = [];
  from([
    net(1, { '203.0.113.7': 50, '198.51.100.2': 3 }), // exactly at the limit: not a flood
    net(2, { '203.0.113.7': 51, '192.0.2.9': 400 }),
    net(3, { '192.0.2.9': 400 }),
  ])
    .pipe(compileRule(rule('anomaly: connection flood'), { clearTicks: 1 }))
    .subscribe((i) => seen.push(`${i.ts} ${i.status}:${(i.metadata.ips ?? []).join(',')}:${i.actions.join('+')}`));
  assert.deepEqual(seen, [
    '2 firing:203.0.113.7:block_ip+alert_critical',
    '2 firing:192.0.2.9:block_ip+alert_critical',
    '3 firing:192.0.2.9:block_ip+alert_critical',
    '3 resolved::',
  ]);
});

test('suspicious IPs: fires when enough addresses each hold many connections, naming them', () => {
  new TestScheduler((a, e) => assert.deepEqual(a, e)).run(({ cold, expectObservable }) => {
    const src = cold('a b|', {
      a: net(1, { '203.0.113.1': 60, '203.0.113.2': 60 }),
      b: net(2, { '203.0.113.1': 60, '203.0.113.2': 70, '203.0.113.3': 50 }),
    });
    const out = src.pipe(compileRule(rule('anomaly: suspicious IPs')), map((i) => (i.metadata.ips ?? []).join(',')));
    expectObservable(out).toBe('- b|', { b: '203.0.113.2,203.0.113.1,203.0.113.3' });
  });
});

test('memory spike needs swap filling too, unless the host has no swap', () => {
  const mem = (ts: number, used: number, swapTotal: number, swapUsed: number): Metrics => ({
    ...emptyMetrics(ts),
    memory: { totalBytes: 100, availableBytes: 100 - used, usedBytes: used, usagePercent: used, swapTotalBytes: swapTotal, swapUsedBytes: swapUsed, swapUsagePercent: swapTotal ? (swapUsed / swapTotal) * 100 : 0 },
  });
  new TestScheduler((a, e) => assert.deepEqual(a, e)).run(({ cold, expectObservable }) => {
    const src = cold('a b c|', { a: mem(1, 97, 100, 10), b: mem(2, 97, 100, 60), c: mem(3, 97, 0, 0) });
    const out = src.pipe(compileRule(rule('anomaly: memory spike')), map((i) => i.metadata.currentValue));
    expectObservable(out).toBe('- b c|', { b: 97, c: 97 });
  });
});
