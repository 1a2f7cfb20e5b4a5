/**
 * The alertmanager channel against the real Alertmanager: a firing alert is read back
 * from its API with our labels and annotations, the resolved one (same labels, endsAt)
 * ends it. Plus the exact request against a local receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAlertmanagerChannel, postableAlerts } from '../../../src/alerts/channels/alertmanager.js';
import { alertmanagerAvailable, startAlertmanager, type AlertmanagerProcess } from '../helpers/alertmanager-process.js';
import { startHttpReceiver } from '../helpers/http-receiver.js';
import { message } from '../helpers/alert-message.js';

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

describe('alertmanager request shape', () => {
  it('POSTs one alert to /api/v2/alerts with the same labels firing and resolved', async () => {
    const peer = await startHttpReceiver({ status: 200, body: '' });
    try {
      const now = Date.UTC(2026, 10, 21, 14, 10, 0);
      const ch = createAlertmanagerChannel({ url: `${peer.url}/`, labels: { team: 'ops' }, timeout: 2000, now: () => now });
      const firing = message();
      const resolved = message({ status: 'resolved', description: 'resolved: CPU 40% > 80%', metadata: { currentValue: 40 } });
      await ch.send(firing);
      await ch.send(resolved);
      const [a, b] = await peer.waitFor(2);
      assert.equal(a!.method, 'POST');
      assert.equal(a!.path, '/api/v2/alerts');
      assert.equal(a!.headers['content-type'], 'application/json');
      const labels = { alertname: 'high_cpu', severity: 'critical', instance: 'web-1', monitor_type: 'cpu_usage', incident_key: 'cpu_usage|high_cpu', team: 'ops' };
      assert.deepEqual(JSON.parse(a!.body), [
        { labels, annotations: { summary: firing.title, description: firing.text }, startsAt: '2026-11-21T14:03:07.000Z' },
      ]);
      const r = JSON.parse(b!.body);
      assert.deepEqual(r[0].labels, labels);
      assert.equal(r[0].endsAt, '2026-11-21T14:10:00.000Z');
    } finally {
      await peer.close();
    }
  });

  it('endsAt is never before startsAt', () => {
    const m = message({ status: 'resolved' });
    const [alert] = postableAlerts(m, undefined, m.incident.ts - 60_000);
    assert.equal(alert!.endsAt, alert!.startsAt);
  });
});

describe('alertmanager (real prometheus-alertmanager)', { skip: !alertmanagerAvailable() && 'prometheus-alertmanager not installed' }, () => {
  let am: AlertmanagerProcess;
  before(async () => {
    am = await startAlertmanager();
  });
  after(() => am?.stop());

  const active = async (): Promise<GettableAlert[]> => {
    const res = await fetch(`${am.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
    assert.equal(res.status, 200);
    return (await res.json()) as GettableAlert[];
  };

  it('firing alert is stored with labels and annotations; resolved ends it', async () => {
    const ch = createAlertmanagerChannel({ url: am.url, labels: { env: 'test' }, timeout: 3000 });
    const ts = Date.now() - 1000;
    const firing = message({ ts, key: `cpu_usage|high_cpu|${process.pid}` });
    await ch.send(firing);

    const found = (await active()).filter((x) => x.labels.incident_key === firing.incident.key);
    assert.equal(found.length, 1);
    const a = found[0]!;
    assert.deepEqual(a.labels, {
      alertname: 'high_cpu',
      severity: 'critical',
      instance: 'web-1',
      monitor_type: 'cpu_usage',
      incident_key: firing.incident.key,
      env: 'test',
    });
    assert.equal(a.annotations.summary, firing.title);
    assert.equal(a.annotations.description, firing.text);
    assert.equal(a.status.state, 'active');
    assert.equal(new Date(a.startsAt).getTime(), ts);

    const resolved = message({ ts: Date.now(), key: firing.incident.key, status: 'resolved', metadata: { currentValue: 30 } });
    await ch.send(resolved);
    const still = (await active()).filter((x) => x.labels.incident_key === firing.incident.key);
    assert.deepEqual(still, [], 'no longer active after the resolved message');

    // nor in any other state: Alertmanager lists no resolved alerts at all
    const all = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as GettableAlert[];
    assert.deepEqual(all.filter((x) => x.labels.incident_key === firing.incident.key), []);
  });

  it('an invalid alert is refused with Alertmanager message', async () => {
    const ch = createAlertmanagerChannel({ url: am.url, labels: { 'bad label': 'x' }, timeout: 3000 });
    await assert.rejects(ch.send(message()), /alertmanager: HTTP 400: .*(invalid|label)/i);
  });
});
