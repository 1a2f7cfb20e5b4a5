/**
 * `panicmode alert test [--channel NAME] [--config FILE]`: sends one test alert through
 * every configured channel (every severity's routes, each distinct route once) and
 * prints, per channel, `delivered (123 ms)` or `FAILED: <the exact error>`. One attempt
 * per channel with the route's timeout, no outbox: this checks the credentials and the
 * path to the peer, now.
 */
import { hostname } from 'node:os';
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ExitCode, UsageError } from '../errors.js';
import { createLogger, maskSecrets } from '../log/logger.js';
import { loadConfigForCli } from './config-source.js';
import { buildRouting, disabledRoutes, integrationOf } from '../alerts/routing.js';
import { createChannel } from '../alerts/channels/index.js';
import { deliverOnce, describeDeliveryError, type DeliveryResult } from '../alerts/deliver-once.js';
import type { AlertChannel, AlertMessage } from '../alerts/alert.js';

const help = `Usage: panicmode alert test [--channel NAME] [--config FILE]

Sends a test alert through each configured alert channel (the routes under
alerts: critical, warning, info and emergency, each distinct route once) and
reports per channel:

  telegram: delivered (123 ms)
  email: FAILED: <the exact error>

A channel whose integration has enabled: false is listed as skipped.

Options:
  --channel NAME  only this channel (a channel name such as telegram, or a key
                  such as discord#2 when a channel has several routes)
  --config FILE   the config (also $PANICMODE_CONFIG); default: the embedded default

Exit codes: 0 every channel delivered, 1 one or more failed, 2 usage or config error.
`;

/** The test alert: info severity, marked as a test everywhere it shows. */
export const testAlertMessage = (host: string, now: number): AlertMessage => ({
  id: `test-${now}-${process.pid}`,
  severity: 'info',
  status: 'firing',
  host,
  title: `TEST alert from PanicMode on ${host}`,
  text: [
    'What: a test alert (panicmode alert test)',
    `Where: ${host}`,
    'How bad: not at all, nothing is wrong',
    'Next: nothing; this channel works if you can read this',
    `At: ${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} UTC`,
  ].join('\n'),
  actionsTaken: [],
  incident: {
    key: 'panicmode|alert_test',
    name: 'alert_test',
    severity: 'info',
    description: 'PanicMode test alert',
    actions: [],
    metadata: { monitorType: 'alert_test', threshold: 0, currentValue: 0, details: 'test alert sent by panicmode alert test' },
    ts: now,
    status: 'firing',
    count: 1,
  },
  ts: now,
});

export const command: Command = {
  name: 'alert',
  summary: 'alert tools: `alert test` sends a test alert per channel',
  help,
  run: async (argv) => {
    const [sub, ...rest] = argv;
    if (sub !== 'test') throw new UsageError(sub ? `alert: unknown subcommand '${sub}' (expected: test)` : 'alert: expected a subcommand: test');
    const { options, positionals } = parseArgs(rest, { channel: { value: true }, config: { value: true, env: 'PANICMODE_CONFIG' } }, 'alert test');
    if (positionals.length > 0) throw new UsageError(`alert test: unexpected argument '${positionals[0]}'`);
    const only = options.channel as string | undefined;

    const config = await loadConfigForCli(options.config as string | undefined);
    const routing = buildRouting(config.alerts, config.integrations);
    const matches = (key: string, channel: string) => !only || only === key || only === channel;
    const targets = routing.all.filter((r) => matches(r.key, r.route.channel));
    const skipped = disabledRoutes(config.alerts, config.integrations).filter((d) => matches(d.route.channel, d.route.channel));

    if (targets.length === 0 && skipped.length === 0) {
      if (only) {
        const have = routing.all.map((r) => r.key);
        throw new UsageError(`alert test: --channel ${only}: no such channel in alerts: (configured: ${have.length ? have.join(', ') : 'none'})`);
      }
      process.stderr.write('panicmode alert test: no alert channel is configured (alerts.critical, alerts.warning, alerts.info are empty)\n');
      return ExitCode.runtime;
    }

    const logger = createLogger('alert-test');
    const message = testAlertMessage(hostname(), Date.now());
    const results = await Promise.all(
      targets.map(async ({ key, route, place }): Promise<DeliveryResult> => {
        let channel: AlertChannel;
        try {
          channel = createChannel(route, config.integrations, { logger, place });
        } catch (err) {
          return { ok: false, ms: 0, error: describeDeliveryError(err) };
        }
        try {
          return await deliverOnce(key, channel, message, route.timeout);
        } finally {
          await channel.close?.().catch(() => {});
        }
      }),
    );

    const lines = targets.map(({ key }, i) => {
      const r = results[i]!;
      return r.ok ? `${key}: delivered (${r.ms} ms)` : `${key}: FAILED: ${r.error}`;
    });
    for (const d of skipped) lines.push(`${d.route.channel}: skipped (integrations.${integrationOf(d.route.channel)}.enabled is false, ${d.place})`);
    process.stdout.write(maskSecrets(lines.join('\n')) + '\n');
    return results.length > 0 && results.every((r) => r.ok) ? ExitCode.ok : ExitCode.runtime;
  },
};
