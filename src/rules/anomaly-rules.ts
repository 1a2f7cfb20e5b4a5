/**
 * The built-in anomaly detector (`anomaly:` section): extreme situations that need no
 * rule — a CPU or memory spike, a connection flood, many IPs each holding many
 * connections, a load far above the machine — all critical.
 */
import type { RuleSpec } from './rule-spec.js';

export interface AnomalyOptions {
  cpu_spike_threshold: number;
  memory_spike_threshold: number;
  connection_spike_threshold: number;
  suspicious_ip_threshold: number;
  high_load_threshold: number;
  suspicious_connections_per_ip: number;
}

const base = { severity: 'critical' as const, comparison: 'above' as const, durationMs: 0 };

export const anomalyRules = (a: AnomalyOptions): RuleSpec[] => [
  {
    ...base,
    name: 'anomaly: CPU spike',
    monitorType: 'anomaly:cpu_spike',
    actions: ['alert_critical'],
    threshold: a.cpu_spike_threshold,
    inclusive: true,
    select: (m) => (m.cpu ? [{ key: '', value: m.cpu.usagePercent }] : null),
    describe: (v) => `CPU ${v.toFixed(1)}% ≥ ${a.cpu_spike_threshold}%`,
  },
  {
    ...base,
    // Memory alone near full is normal for page-cache-heavy hosts; with swap also
    // filling it is real pressure.
    name: 'anomaly: memory spike',
    monitorType: 'anomaly:memory_spike',
    actions: ['alert_critical'],
    threshold: a.memory_spike_threshold,
    inclusive: true,
    select: (m) =>
      m.memory
        ? [{ key: '', value: m.memory.swapTotalBytes === 0 || m.memory.swapUsagePercent > 50 ? m.memory.usagePercent : 0 }]
        : null,
    describe: (v) => `memory ${v.toFixed(1)}% ≥ ${a.memory_spike_threshold}% with swap filling`,
  },
  {
    ...base,
    name: 'anomaly: connection spike',
    monitorType: 'anomaly:connection_spike',
    actions: ['alert_critical'],
    threshold: a.connection_spike_threshold,
    inclusive: false,
    select: (m) => (m.network ? [{ key: '', value: m.network.totalConnections }] : null),
    describe: (v) => `${v} TCP connections > ${a.connection_spike_threshold}`,
  },
  {
    ...base,
    name: 'anomaly: suspicious IPs',
    monitorType: 'anomaly:suspicious_ips',
    actions: ['alert_critical'],
    threshold: a.suspicious_ip_threshold,
    inclusive: true,
    select: (m) => {
      if (!m.network) return null;
      let n = 0;
      for (const ip in m.network.establishedPerRemoteIp) if (m.network.establishedPerRemoteIp[ip]! >= a.suspicious_connections_per_ip) n++;
      return [{ key: '', value: n }];
    },
    annotate: (m) => {
      const ips = Object.entries(m.network?.establishedPerRemoteIp ?? {})
        .filter(([, n]) => n >= a.suspicious_connections_per_ip)
        .sort((x, y) => y[1] - x[1]);
      return {
        ips: ips.map(([ip]) => ip),
        details: 'IPs: ' + ips.slice(0, 20).map(([ip, n]) => `${ip} (${n} conns)`).join(', '),
      };
    },
    describe: (v) => `${v} IPs each hold ≥ ${a.suspicious_connections_per_ip} connections`,
  },
  {
    ...base,
    // One address holding more connections than a client should: a flood. Each such
    // address is its own subject (its own incident, dedup and ban); private, own and
    // whitelisted addresses are never blocked by the firewall whatever this says.
    name: 'anomaly: connection flood',
    monitorType: 'anomaly:connection_flood',
    actions: ['block_ip', 'alert_critical'],
    threshold: a.suspicious_connections_per_ip,
    inclusive: false,
    select: (m) => {
      if (!m.network) return null;
      const out: { key: string; value: number }[] = [];
      for (const ip in m.network.establishedPerRemoteIp) {
        const n = m.network.establishedPerRemoteIp[ip]!;
        if (n > a.suspicious_connections_per_ip) out.push({ key: ip, value: n });
      }
      return out;
    },
    annotate: (_m, s) => ({ ips: [s.key], details: `${s.key} holds ${s.value} established connections` }),
    describe: (v, ip) => `${ip} holds ${v} connections > ${a.suspicious_connections_per_ip} per IP`,
  },
  {
    ...base,
    name: 'anomaly: high load',
    monitorType: 'anomaly:high_load',
    actions: ['alert_critical'],
    threshold: a.high_load_threshold,
    inclusive: true,
    select: (m) => (m.load ? [{ key: '', value: m.load.load1 }] : null),
    describe: (v) => `load ${v.toFixed(2)} ≥ ${a.high_load_threshold}`,
  },
];
