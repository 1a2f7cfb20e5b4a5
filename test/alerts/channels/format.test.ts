/** renderAlert: what, where, how bad, what was done, what next; recovery and storm wording. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clip, formatNumber, nextStep, renderAlert, stormSuffix, valueVsThreshold } from '../../../src/alerts/format.js';
import { formatDurationSeconds } from '../../../src/config/duration.js';
import { incident } from '../helpers/alert-message.js';

describe('renderAlert', () => {
  it('firing: title and every line for a phone', () => {
    const r = renderAlert(incident(), { host: 'web-1', actionsTaken: ['froze pid 4242'] });
    assert.equal(r.title, 'CRITICAL high_cpu on web-1: CPU 97.3% > 80%');
    assert.equal(
      r.text,
      [
        'What: CPU 97.3% > 80%',
        'Where: web-1',
        'How bad: 97.3% against a threshold of 80% (critical)',
        'Details: top: java (pid 4242, 95%)',
        'Done: froze pid 4242',
        'Next: find the runaway: top -o %CPU; resume a frozen one: kill -CONT 4242',
        'At: 2026-11-21 14:03:07 UTC',
      ].join('\n'),
    );
  });

  it('says when nothing was done automatically, and gives no thaw hint without a freeze', () => {
    const r = renderAlert(incident(), { host: 'h' });
    assert.match(r.text, /^Done: nothing automatic, alert only$/m);
    assert.doesNotMatch(r.text, /kill -CONT/);
  });

  it('units by monitor type', () => {
    const cases: [string, number, number, string][] = [
      ['memory_usage', 91.25, 90, '91.3% > 90%'],
      ['connection_rate', 1500, 1000, '1500 conn/s > 1000 conn/s'],
      ['auth_failures', 12, 5, '12 failures > 5 failures'],
      ['load_average', 12.4, 8, '12.4 > 8'],
      ['process_count', 40, 50, '40 processes < 50 processes'],
      ['disk_io', 99, 99, '99% busy = 99% busy'],
      ['self_check:memory', 312.4, 256, '312.4 MB > 256 MB'],
    ];
    for (const [monitorType, currentValue, threshold, expected] of cases) {
      assert.equal(valueVsThreshold(incident({ metadata: { monitorType, currentValue, threshold } })), expected, monitorType);
    }
    const r = renderAlert(incident({ description: '', metadata: { monitorType: 'connection_rate', currentValue: 1500, threshold: 1000 } }), { host: 'lb' });
    assert.equal(r.title, 'CRITICAL high_cpu on lb: new connections 1500 conn/s > 1000 conn/s');
  });

  it('a hint per monitor type; bans point at panicmode ctl list', () => {
    assert.match(nextStep(incident({ metadata: { monitorType: 'auth_failures' } }), ['blocked 3 IPs']), /panicmode ctl list/);
    assert.match(nextStep(incident({ metadata: { monitorType: 'disk_usage' } }), []), /du -xh/);
    assert.match(nextStep(incident({ metadata: { monitorType: 'self_check:cpu' } }), []), /journalctl -u panicmode/);
    assert.match(nextStep(incident({ metadata: { monitorType: 'something_new' } }), []), /panicmode incidents/);
  });

  it('resolved: RESOLVED wording with the current value, no "what next"', () => {
    const r = renderAlert(
      incident({ status: 'resolved', description: 'resolved: CPU 41% > 80%', metadata: { currentValue: 41 } }),
      { host: 'web-1', actionsTaken: ['froze pid 4242'] },
    );
    assert.equal(r.title, 'RESOLVED high_cpu on web-1: CPU now 41% (threshold 80%)');
    assert.equal(r.text, ['RESOLVED: high_cpu on web-1 is back to normal', 'Now: 41% (threshold 80%)', 'Done earlier: froze pid 4242', 'At: 2026-11-21 14:03:07 UTC'].join('\n'));
  });

  it('a collapsed storm shows its count and window', () => {
    const r = renderAlert(incident({ count: 37, severity: 'warning' }), { host: 'web-1', stormWindowMs: 300_000 });
    assert.equal(r.title, 'WARNING high_cpu on web-1: CPU 97.3% > 80% (×37 in 5m)');
    assert.match(r.text, /^What: CPU 97\.3% > 80%, 37 times in 5m$/m);
    assert.equal(renderAlert(incident({ count: 2 }), { host: 'h' }).title.endsWith('(×2)'), true);
  });

  it('is pure: same input, same output', () => {
    const i = incident({ count: 3 });
    assert.deepEqual(renderAlert(i, { host: 'a', actionsTaken: ['x'] }), renderAlert(i, { host: 'a', actionsTaken: ['x'] }));
  });
});

describe('format helpers', () => {
  it('numbers, durations, storms, clipping', () => {
    assert.equal(formatNumber(97.26), '97.3');
    assert.equal(formatNumber(12), '12');
    assert.equal(formatNumber(0.0512), '0.051');
    assert.equal(formatDurationSeconds(60_000), '1m');
    assert.equal(formatDurationSeconds(90_000), '1m30s');
    assert.equal(formatDurationSeconds(5_000), '5s');
    assert.equal(formatDurationSeconds(3_600_000), '1h');
    assert.equal(stormSuffix(1, 60_000), '');
    assert.equal(stormSuffix(37, 60_000), '×37 in 1m');
    assert.equal(clip('abcdef', 4), 'abc…');
    assert.equal(clip('abc', 4), 'abc');
  });
});
