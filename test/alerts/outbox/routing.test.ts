import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRouting, routesFor, integrationOf, type RouteLike } from '../../../src/alerts/routing.js';

type Route = RouteLike & { chat_id?: string; webhook_url?: string; topic?: string };

const keys = (routes: { key: string }[]) => routes.map((r) => r.key);

test('routes by severity, applying retries 3 and timeout 10 s by default', () => {
  const table = buildRouting<Route>({
    critical: [{ channel: 'telegram' }, { channel: 'email', retries: 5, timeout: 15_000 }],
    warning: [{ channel: 'ntfy' }],
    info: [],
  });
  assert.deepEqual(keys(routesFor(table, 'critical')), ['telegram', 'email']);
  assert.deepEqual(keys(routesFor(table, 'warning')), ['ntfy']);
  assert.deepEqual(keys(routesFor(table, 'info')), []);
  assert.deepEqual(table.byKey.get('telegram')?.route, { channel: 'telegram', retries: 3, timeout: 10_000 });
  assert.deepEqual(table.byKey.get('email')?.route, { channel: 'email', retries: 5, timeout: 15_000 });
});

test('emergency routes merge into critical; identical routes are one key', () => {
  const table = buildRouting<Route>({
    critical: [{ channel: 'telegram', retries: 3, timeout: 10_000 }],
    // what the config loader fills in when emergency is absent: the critical list again
    emergency: [{ channel: 'telegram', retries: 3, timeout: 10_000 }, { channel: 'twilio_call' }],
  });
  assert.deepEqual(keys(routesFor(table, 'critical')), ['telegram', 'twilio_call']);
  assert.equal(table.all.length, 2);
});

test('the same channel with another target gets its own key; the same target across severities shares one', () => {
  const table = buildRouting<Route>({
    critical: [
      { channel: 'discord', webhook_url: 'https://discord.example/a' },
      { channel: 'discord', webhook_url: 'https://discord.example/b' },
    ],
    warning: [{ channel: 'discord', webhook_url: 'https://discord.example/a' }, { channel: 'discord' }],
  });
  assert.deepEqual(keys(routesFor(table, 'critical')), ['discord', 'discord#2']);
  assert.deepEqual(keys(routesFor(table, 'warning')), ['discord', 'discord#3']);
  assert.equal(table.byKey.get('discord#2')?.route.webhook_url, 'https://discord.example/b');
  assert.deepEqual(keys(table.all), ['discord', 'discord#2', 'discord#3']);
});

test('disabled integrations are skipped; twilio_sms and twilio_call follow integrations.twilio', () => {
  const alerts = {
    critical: [{ channel: 'telegram' }, { channel: 'twilio_sms' }, { channel: 'twilio_call' }, { channel: 'console' }, { channel: 'file' }],
  };
  const table = buildRouting<Route>(alerts, { telegram: { enabled: true }, twilio: { enabled: false }, file: { enabled: false } });
  assert.deepEqual(keys(routesFor(table, 'critical')), ['telegram', 'console']);
  assert.equal(integrationOf('twilio_call'), 'twilio');
  assert.equal(integrationOf('webhook'), 'webhook');
  // absent integration block: not disabled (console needs none)
  assert.deepEqual(keys(routesFor(buildRouting<Route>(alerts, {}), 'critical')), ['telegram', 'twilio_sms', 'twilio_call', 'console', 'file']);
});

test('routing accepts the decoded config slices as they are', async () => {
  const { loadConfigText } = await import('../../../src/config/load.js');
  const config = await loadConfigText(
    [
      'alerts:',
      '  critical:',
      '    - channel: webhook',
      '      webhook_url: http://127.0.0.1:9/a',
      '      timeout: 2s',
      '  warning:',
      '    - channel: console',
      'integrations:',
      '  console: { enabled: true }',
    ].join('\n'),
  );
  const table = buildRouting(config.alerts, config.integrations);
  assert.deepEqual(keys(routesFor(table, 'critical')), ['webhook']);
  assert.equal(table.byKey.get('webhook')?.route.timeout, 2000);
  assert.deepEqual(keys(routesFor(table, 'warning')), ['console']);
});
