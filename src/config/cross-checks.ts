/**
 * Rules that span fields, run after the shape is decoded: every action a monitor names
 * exists, a custom monitor resolves to a custom metric, every alert channel has what it
 * needs to deliver. Each problem names its place, like the shape errors do.
 */
import type { AlertRouteConfig, Config, MonitorConfig } from './schema.js';
import { builtinActions, massFreezeClusterAction } from './schema.js';
import { suggest } from './suggest.js';
import { monitorFilterProblems } from '../auth/filters/monitor-filter.js';
import { actionKeyProblems, forkBombProblems, monitorKeyProblems, sectionProblems } from './key-effects.js';
import { supervisedProcessProblems } from './process-checks.js';

const words = (s: string): string[] => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 0);

/**
 * The custom_metrics key a `custom` monitor reads: its `metric`, else a key equal to
 * its name, else the first key all of whose words appear in the name (`redis_memory`
 * ↔ "Redis Memory High"), else the only key when exactly one is defined (the developer
 * guide's snippet), else undefined.
 */
export const resolveCustomMetric = (monitor: Pick<MonitorConfig, 'name' | 'metric'>, customMetrics: Record<string, unknown>): string | undefined => {
  const keys = Object.keys(customMetrics);
  if (monitor.metric !== undefined) return keys.includes(monitor.metric) ? monitor.metric : undefined;
  if (keys.includes(monitor.name)) return monitor.name;
  const nameWords = new Set(words(monitor.name));
  const byWords = keys.find((k) => {
    const kw = words(k);
    return kw.length > 0 && kw.every((w) => nameWords.has(w));
  });
  return byWords ?? (keys.length === 1 ? keys[0] : undefined);
};

/** Is `name` an action a monitor may use, given the config's `actions:` map? */
export const isKnownAction = (name: string, definitions: Record<string, unknown>): boolean =>
  (builtinActions as readonly string[]).includes(name) || massFreezeClusterAction.test(name) || Object.hasOwn(definitions, name);

/** Problems with the action names of the monitor at `at` (`monitors[2]`). */
export const actionNameProblems = (at: string, actions: readonly string[], definitions: Record<string, unknown>): string[] => {
  const known = [...builtinActions, ...Object.keys(definitions)];
  const problems: string[] = [];
  actions.forEach((a, j) => {
    if (isKnownAction(a, definitions)) return;
    if (a.startsWith('mass_freeze_cluster')) {
      problems.push(`${at}.actions[${j}]: expected mass_freeze_cluster:<name>, got "${a}"`);
      return;
    }
    const hint = suggest(a, known);
    problems.push(
      `${at}.actions[${j}]: unknown action "${a}" (${hint ? `did you mean "${hint}"? ` : ''}built-in actions: ${builtinActions.join(', ')}, mass_freeze_cluster:<name>, or a key of actions:)`,
    );
  });
  return problems;
};

const routeProblem = (route: AlertRouteConfig, config: Config): string | undefined => {
  const i = config.integrations;
  switch (route.channel) {
    case 'console':
      return undefined;
    case 'file':
      return route.path || i.file ? undefined : 'channel file needs a path (route path or integrations.file.path)';
    case 'telegram':
      if (!i.telegram) return 'channel telegram needs integrations.telegram (bot_token, chat_id)';
      return route.chat_id || i.telegram.chat_id ? undefined : 'channel telegram needs a chat_id (on the route or in integrations.telegram)';
    case 'discord':
    case 'slack':
      return route.webhook_url || i[route.channel] ? undefined : `channel ${route.channel} needs integrations.${route.channel}.webhook_url or a webhook_url on the route`;
    case 'webhook':
      return route.webhook_url || route.url || i.webhook?.url ? undefined : 'channel webhook needs a webhook_url on the route or integrations.webhook.url';
    case 'ntfy':
      return i.ntfy ? undefined : 'channel ntfy needs integrations.ntfy (server, topic)';
    case 'email':
      if (!i.email) return 'channel email needs integrations.email (smtp_host, from_email, ...)';
      return route.email || (route.to && route.to.length > 0) || i.email.to_email.length > 0
        ? undefined
        : 'channel email needs a recipient (route email/to or integrations.email.to_email)';
    case 'twilio_sms':
    case 'twilio_call':
      if (!i.twilio) return `channel ${route.channel} needs integrations.twilio (account_sid, auth_token, from_number)`;
      return route.contacts && route.contacts.length > 0 ? undefined : `channel ${route.channel} needs contacts (name, phone) on the route`;
    case 'alertmanager':
      return route.url || i.alertmanager ? undefined : 'channel alertmanager needs integrations.alertmanager.url or a url on the route';
  }
};

/**
 * When the shape already failed, the cross checks still run over what did decode, so
 * the operator sees every problem at once. `monitorIndex[i]` is the position in the
 * file of `monitors[i]` (some were dropped); `untrusted` names sections that failed
 * and were replaced by defaults: checks that would read them are skipped, so no
 * problem is invented from a default.
 */
export interface PartialInput {
  monitorIndex: number[];
  untrusted: ReadonlySet<string>;
}

/**
 * Checks the cross-field rules and completes what they decide (a custom monitor's
 * resolved `metric`; emergency routes default to the critical ones). Returns the
 * completed config and every problem found.
 */
export const crossCheck = (decoded: Config, partial?: PartialInput): { config: Config; problems: string[] } => {
  const problems: string[] = [];
  const trusted = (section: string): boolean => !partial?.untrusted.has(section);
  const definitions = decoded.actions;
  const seenNames = new Map<string, number>();

  const monitors = decoded.monitors.map((m, i) => {
    const idx = partial?.monitorIndex[i] ?? i;
    const at = `monitors[${idx}]`;
    const first = seenNames.get(m.name);
    if (first !== undefined) problems.push(`${at}.name: "${m.name}" is already the name of monitors[${first}]`);
    else seenNames.set(m.name, idx);

    if (trusted('actions')) problems.push(...actionNameProblems(at, m.actions, definitions));

    let metric = m.metric;
    if (m.type === 'custom' && trusted('custom_metrics')) {
      const keys = Object.keys(decoded.custom_metrics);
      metric = resolveCustomMetric(m, decoded.custom_metrics);
      if (metric === undefined) {
        if (m.metric !== undefined) problems.push(`${at}.metric: "${m.metric}" is not a key of custom_metrics (${keys.length ? `have: ${keys.join(', ')}` : 'custom_metrics is empty'})`);
        else if (keys.length === 0) problems.push(`${at}: a custom monitor needs custom_metrics (none are defined)`);
        else problems.push(`${at}: cannot tell which custom metric "${m.name}" reads: add metric: <one of ${keys.join(', ')}>`);
      }
    } else if (m.metric !== undefined) {
      problems.push(`${at}.metric: only custom monitors read a metric (this one is ${m.type})`);
    }
    if (m.auth_log && m.type !== 'auth_failures') problems.push(`${at}.auth_log: only auth_failures monitors read the auth log (this one is ${m.type})`);
    problems.push(...monitorFilterProblems(at, m));
    if (m.type === 'file_monitor' && (!m.paths || m.paths.length === 0)) problems.push(`${at}.paths: a file_monitor monitor needs paths to watch`);
    problems.push(...monitorKeyProblems(at, m));
    return metric === m.metric ? m : { ...m, metric };
  });


  for (const [name, def] of Object.entries(definitions)) {
    const at = `actions.${name}`;
    if (def.type === 'script' && !def.action) problems.push(`${at}.action: a script action needs action: <path of the script>`);
    problems.push(...actionKeyProblems(name, def));
    // the kill waits `grace` and then up to 1 s for SIGKILL, inside the action's time limit
    if (def.grace !== undefined && def.grace + 1_000 >= decoded.circuit_breakers.timeout)
      problems.push(`${at}.grace: ${def.grace} ms plus a second for SIGKILL must end within circuit_breakers.timeout (${decoded.circuit_breakers.timeout} ms), every protective action's time limit: shorten grace or raise the limit`);
  }
  if (trusted('http_api')) problems.push(...sectionProblems(decoded));
  if (trusted('anomaly')) problems.push(...forkBombProblems(decoded));

  const alerts = decoded.alerts;
  for (const severity of ['critical', 'warning', 'info', 'emergency'] as const) {
    if (!trusted('integrations')) break;
    alerts[severity]?.forEach((route, idx) => {
      const why = routeProblem(route, decoded);
      if (why) problems.push(`alerts.${severity}[${idx}]: ${why}`);
    });
  }

  const processNames = new Set<string>();
  decoded.processes.forEach((p, idx) => {
    problems.push(...supervisedProcessProblems(`processes[${idx}]`, p, (at, actions) => (trusted('actions') ? actionNameProblems(at, actions, definitions) : [])));
    if (processNames.has(p.name)) problems.push(`processes[${idx}].name: "${p.name}" is listed twice`);
    processNames.add(p.name);
  });

  const config: Config = { ...decoded, monitors, alerts: { ...alerts, emergency: alerts.emergency ?? alerts.critical } };
  return { config, problems };
};
