/**
 * TCP connections and interface throughput from `<procroot>/net/snmp`, `net/sockstat`
 * (+ `sockstat6`), `net/dev` on the collector's cadence (every check_interval by
 * default), and the socket tables `net/tcp` + `net/tcp6` on the cadence of its part,
 * `sockets` (every 15 s by default): both are intervals under `collectors:`, and the
 * metrics stream runs them (each read of the counters is handed the latest table).
 *
 * Why two paces: reading a socket table makes the kernel walk every bucket of the TCP
 * established hash, which is sized from RAM, not from the number of sockets: ~4 ms of
 * kernel time per file on a 24 GB host even with ONE socket, ~8 ms per tick for tcp +
 * tcp6 (most of the whole collection cycle). The counters cost ~0.1 ms together. The
 * trade-off: what only the tables can tell — connections by state and established
 * connections per remote IP (per-IP flood detection) — is at most the `sockets`
 * interval old; a flood from one IP is seen within 15 s instead of within one tick.
 *
 * Every tick, when `net/snmp` exists (every Linux since 2.2; not in fixture trees):
 * - new connections/s = Δ(Tcp ActiveOpens + PassiveOpens) / elapsed: every connection
 *   opened, even one that came and went between two ticks (the table diff missed those).
 *   ActiveOpens counts connect() attempts (failed ones too), PassiveOpens counts
 *   completed handshakes only: half-open connections of a SYN flood are not counted
 *   (they show as connectionsByState.SYN_RECV at the next table read);
 * - total connections = sockstat `TCP inuse` + `TCP6 inuse` + `tw` (TIME_WAIT, v4 and
 *   v6: the kernel counts both in sockstat's `tw`) − LISTEN + SYN_RECV, the last two
 *   from the last table read. `inuse` counts every hashed full socket (LISTEN,
 *   SYN_SENT, ESTABLISHED, FIN_WAIT*, CLOSE_WAIT, LAST_ACK, CLOSING) but neither
 *   TIME_WAIT nor half-open request sockets: so the total means what it meant when
 *   read from the tables (every socket but LISTEN), with listeners and half-open
 *   connections counted as of the last table read.
 * Without `net/snmp`, both are computed from the tables as before, and the tables are
 * read every tick: new connections/s = connection 4-tuples (any state but LISTEN)
 * absent from the previous table, per second.
 *
 * Always:
 * - connections by state (v4 + v6) and established connections per remote address,
 *   for suspicious-IP rules. Loopback peers (127.0.0.0/8, ::1) count in the totals but
 *   not per IP: local clients of a local service must never be flagged (or blocked) as
 *   an attacker;
 * - rx/tx bytes/s summed over interfaces except `lo`;
 * - rates are 0 on the first tick (no previous reading).
 * A host without IPv6 has no tcp6 or sockstat6 file: that is read as no v6 sockets,
 * not a failure.
 */
import { formatIpv6Groups } from '../net/ipv6-text.js';
import type { Host } from '../host/host.js';
import type { NetworkSample } from '../model/metrics.js';
import { CollectorError } from '../errors.js';
import type { PeriodicCollector } from './collector.js';
import { counterDelta, isNoDataError } from './collector.js';

/** The kernel's TCP state codes (include/net/tcp_states.h). */
export const tcpStates: Readonly<Record<number, string>> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'NEW_SYN_RECV',
};

export interface TcpSocket {
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  state: string;
}

/** `0100007F` (a little-endian 32-bit word, as /proc prints it on x86 and arm) → `127.0.0.1`. */
export const decodeIpv4Hex = (hex: string): string => {
  const n = parseInt(hex, 16);
  return `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 24) & 0xff}`;
};

/**
 * 32 hex digits as /proc prints an IPv6 address (four 32-bit words, each little-endian)
 * → the compressed text form. IPv4-mapped addresses (::ffff:a.b.c.d) come back as the
 * plain IPv4 address, so one client is one key whichever socket family it reached.
 */
export const decodeIpv6Hex = (hex: string): string => {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  return formatIpv6Groups(groups);
};

/** Pure: parses /proc/net/tcp or tcp6 (the family is told by the address width). Malformed lines are skipped. */
export const parseProcNetTcp = (text: string): TcpSocket[] => {
  const out: TcpSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const p = lines[i].trim().split(/\s+/);
    if (p.length < 4) continue;
    const [localIpHex, localPortHex] = p[1].split(':');
    const [remoteIpHex, remotePortHex] = p[2].split(':');
    if (!localPortHex || !remotePortHex) continue;
    const decode = localIpHex.length === 32 ? decodeIpv6Hex : localIpHex.length === 8 ? decodeIpv4Hex : null;
    if (!decode) continue;
    out.push({
      localIp: decode(localIpHex),
      localPort: parseInt(localPortHex, 16),
      remoteIp: decode(remoteIpHex),
      remotePort: parseInt(remotePortHex, 16),
      state: tcpStates[parseInt(p[3], 16)] ?? `UNKNOWN_${p[3]}`,
    });
  }
  return out;
};

export interface InterfaceCounters {
  iface: string;
  rxBytes: number;
  txBytes: number;
}

/** Pure: parses /proc/net/dev (two header lines, then `iface: rx_bytes ... tx_bytes ...`). */
export const parseNetDev = (text: string): InterfaceCounters[] => {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const p = line.slice(colon + 1).trim().split(/\s+/);
    if (p.length < 16) continue;
    const rx = Number(p[0]);
    const tx = Number(p[8]);
    if (Number.isFinite(rx) && Number.isFinite(tx)) out.push({ iface, rxBytes: rx, txBytes: tx });
  }
  return out;
};

/** 127.0.0.0/8 and ::1: peers that are this host. */
export const isLoopback = (ip: string): boolean => ip === '::1' || ip.startsWith('127.');

/** What one read of the socket tables yields; reused between table reads. */
export interface TcpTable {
  connectionsByState: Record<string, number>;
  /** every socket but LISTEN */
  totalConnections: number;
  establishedPerRemoteIp: Record<string, number>;
  /** `local:port>remote:port` of every socket but LISTEN (the fallback's new-connection diff) */
  connections: Set<string>;
}

/** Pure: summarises the sockets of tcp + tcp6. */
export const summariseTcpTable = (sockets: TcpSocket[]): TcpTable => {
  const connectionsByState: Record<string, number> = {};
  const establishedPerRemoteIp: Record<string, number> = {};
  const connections = new Set<string>();
  let total = 0;
  for (const s of sockets) {
    connectionsByState[s.state] = (connectionsByState[s.state] ?? 0) + 1;
    if (s.state === 'LISTEN') continue;
    total++;
    connections.add(`${s.localIp}:${s.localPort}>${s.remoteIp}:${s.remotePort}`);
    if (s.state === 'ESTABLISHED' && !isLoopback(s.remoteIp)) {
      establishedPerRemoteIp[s.remoteIp] = (establishedPerRemoteIp[s.remoteIp] ?? 0) + 1;
    }
  }
  return { connectionsByState, totalConnections: total, establishedPerRemoteIp, connections };
};

/** The cheap TCP counters of one tick (net/snmp and net/sockstat{,6}). */
export interface TcpCounters {
  /** Tcp ActiveOpens + PassiveOpens: connections opened since boot (a kernel counter) */
  opens: number;
  /** sockstat `TCP inuse` + sockstat6 `TCP6 inuse`: hashed full sockets, LISTEN included, TIME_WAIT and half-open not */
  inUse: number;
  /** sockstat `TCP tw`: TIME_WAIT sockets, v4 and v6 */
  timeWait: number;
}

/**
 * Pure: parses the `Proto: name name…` / `Proto: value value…` line pairs of
 * /proc/net/snmp (and /proc/net/netstat) → proto → field → value.
 */
export const parseNetSnmp = (text: string): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = lines[i].trim().split(/\s+/);
    const values = lines[i + 1].trim().split(/\s+/);
    if (names.length < 2 || names[0] !== values[0] || !names[0].endsWith(':')) continue;
    // a header line is followed by its values: the pair is consumed together
    if (Number.isNaN(Number(values[1]))) continue;
    const fields: Record<string, number> = {};
    for (let j = 1; j < names.length && j < values.length; j++) fields[names[j]] = Number(values[j]);
    out[names[0].slice(0, -1)] = fields;
    i++;
  }
  return out;
};

/** Pure: parses /proc/net/sockstat or sockstat6 (`TCP: inuse 5 orphan 0 tw 2 …`) → proto → field → value. */
export const parseSockstat = (text: string): Record<string, Record<string, number>> => {
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const p = line.slice(colon + 1).trim().split(/\s+/);
    const fields: Record<string, number> = {};
    for (let j = 0; j + 1 < p.length; j += 2) fields[p[j]] = Number(p[j + 1]);
    out[line.slice(0, colon).trim()] = fields;
  }
  return out;
};

const isCounter = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v) && v >= 0;

/**
 * Pure: the counters from the texts of net/snmp, net/sockstat and net/sockstat6 ('' when
 * the host has no IPv6). Throws a CollectorError naming the file when a field is missing.
 */
export const tcpCountersOf = (snmp: string, sockstat: string, sockstat6: string): TcpCounters => {
  const tcp = parseNetSnmp(snmp).Tcp;
  if (!tcp || !isCounter(tcp.ActiveOpens) || !isCounter(tcp.PassiveOpens)) {
    throw new CollectorError('network', 'net/snmp: no "Tcp:" ActiveOpens/PassiveOpens counters');
  }
  const v4 = parseSockstat(sockstat).TCP;
  if (!v4 || !isCounter(v4.inuse) || !isCounter(v4.tw)) {
    throw new CollectorError('network', 'net/sockstat: no "TCP:" line with inuse and tw');
  }
  const v6 = parseSockstat(sockstat6).TCP6?.inuse;
  return { opens: tcp.ActiveOpens + tcp.PassiveOpens, inUse: v4.inuse + (isCounter(v6) ? v6 : 0), timeWait: v4.tw };
};

/** What one read keeps. */
export interface NetworkReading {
  /** the latest socket-table read (the `sockets` part's), or this read's own without counters */
  table: TcpTable;
  /** null without net/snmp or net/sockstat: everything comes from the table, read every tick */
  counters: TcpCounters | null;
  interfaces: InterfaceCounters[];
}

/** Pure: one reading from parsed sockets, interface counters and (optionally) the TCP counters. */
export const summariseNetwork = (
  sockets: TcpSocket[],
  interfaces: InterfaceCounters[],
  counters: TcpCounters | null = null,
): NetworkReading => ({ table: summariseTcpTable(sockets), counters, interfaces });

/**
 * Pure: every socket but LISTEN. With counters: inuse + tw, minus the listeners and plus
 * the half-open connections of the last table (see the file header).
 */
export const totalConnectionsOf = (r: NetworkReading): number => {
  if (!r.counters) return r.table.totalConnections;
  const byState = r.table.connectionsByState;
  return Math.max(0, r.counters.inUse + r.counters.timeWait - (byState.LISTEN ?? 0) + (byState.SYN_RECV ?? 0));
};

/** Pure: the network sample; rates are 0 on the first reading (the model's contract). */
export const deriveNetwork = (
  prev: NetworkReading | undefined,
  cur: NetworkReading,
  elapsedMs: number,
): NetworkSample => {
  let fresh = 0;
  let rx = 0;
  let tx = 0;
  const seconds = elapsedMs / 1000;
  if (prev && seconds > 0) {
    if (prev.counters && cur.counters) {
      fresh = counterDelta(prev.counters.opens, cur.counters.opens) ?? 0;
    } else if (!prev.counters && !cur.counters) {
      for (const c of cur.table.connections) if (!prev.table.connections.has(c)) fresh++;
    }
    // (counters appearing or vanishing between two ticks: no comparable pair, 0 this tick)
    const before = new Map(prev.interfaces.map((i) => [i.iface, i]));
    for (const i of cur.interfaces) {
      const b = before.get(i.iface);
      if (i.iface === 'lo' || !b) continue;
      // An interface re-created between ticks restarts its counters: skip it this tick.
      rx += counterDelta(b.rxBytes, i.rxBytes) ?? 0;
      tx += counterDelta(b.txBytes, i.txBytes) ?? 0;
    }
  }
  return {
    connectionsByState: cur.table.connectionsByState,
    totalConnections: totalConnectionsOf(cur),
    establishedPerRemoteIp: cur.table.establishedPerRemoteIp,
    newConnectionsPerSec: prev && seconds > 0 ? fresh / seconds : 0,
    rxBytesPerSec: prev && seconds > 0 ? rx / seconds : 0,
    txBytesPerSec: prev && seconds > 0 ? tx / seconds : 0,
  };
};

const readOptional = (host: Host, ...parts: string[]): string => {
  try {
    return host.readProcSync(...parts);
  } catch (err) {
    if (isNoDataError(err)) return '';
    throw err;
  }
};

/**
 * Pure: which socket tables the kernel's counters (sockstat, sockstat6) say are empty: no
 * socket of the family in use and none in TIME_WAIT (sockstat's `tw` counts both
 * families). A half-open connection needs a listener, which is in use, so none hides
 * there either. Neither is known empty when a counter is missing.
 */
export const emptyTables = (sockstat: string, sockstat6: string): { v4: boolean; v6: boolean } => {
  const v4 = parseSockstat(sockstat).TCP;
  if (!v4 || !isCounter(v4.inuse) || v4.tw !== 0) return { v4: false, v6: false };
  return { v4: v4.inuse === 0, v6: parseSockstat(sockstat6).TCP6?.inuse === 0 };
};

/**
 * Reads tcp (required) and tcp6 (absent without IPv6) synchronously (Host.readProcSync):
 * the tables are read in page-sized calls, and each call through the thread pool costs
 * a round trip. Measured with ~6,600 sockets on the dev VM: ~12 ms sync against ~40 ms
 * async. The event loop is held that long once per table read. (tcp6 walks the same
 * socket hash as tcp, so it costs as much even when nearly empty. On hosts with 100k+
 * sockets, netlink sock_diag would be the fast path.)
 *
 * A table the counters say is empty (emptyTables: typically tcp6 on a host with nothing
 * listening on IPv6) is not read: its walk of the hash costs ~4 ms of kernel time for
 * nothing, most of an idle agent's collection work.
 */
export const readTcpTable = (host: Host): TcpTable => {
  const sockstat = readOptional(host, 'net', 'sockstat');
  const empty = sockstat === '' ? { v4: false, v6: false } : emptyTables(sockstat, readOptional(host, 'net', 'sockstat6'));
  const tcp = empty.v4 ? '' : host.readProcSync('net', 'tcp');
  const tcp6 = empty.v6 ? '' : readOptional(host, 'net', 'tcp6');
  if (!empty.v4 && !/^\s*sl\s/.test(tcp)) {
    throw new CollectorError('network', 'net/tcp: not a /proc/net/tcp table (no "sl" header)');
  }
  return summariseTcpTable([...parseProcNetTcp(tcp), ...parseProcNetTcp(tcp6)]);
};

/** Default interval of the `sockets` part (see the file header for why not every tick). */
export const DEFAULT_SOCKETS_INTERVAL_MS = 15_000;

/**
 * One read's I/O: dev (required), the counters when net/snmp and net/sockstat exist, and
 * `table` (the `sockets` part's latest). Without the counters the tables are the only
 * source of rates, so they are read here, on every read; likewise when no table is given.
 */
export const readNetwork = async (host: Host, table?: TcpTable): Promise<NetworkReading> => {
  const interfaces = parseNetDev(host.readProcSync('net', 'dev'));
  const snmp = readOptional(host, 'net', 'snmp');
  const sockstat = snmp === '' ? '' : readOptional(host, 'net', 'sockstat');
  const counters = snmp !== '' && sockstat !== '' ? tcpCountersOf(snmp, sockstat, readOptional(host, 'net', 'sockstat6')) : null;
  return { table: counters && table ? table : readTcpTable(host), counters, interfaces };
};

export interface NetworkCollectorOptions {
  /** ms between two reads of the counters (default: every check_interval) */
  intervalMs?: number;
  /** ms between two reads of the socket tables, the `sockets` part (default 15 000) */
  socketsIntervalMs?: number;
}

/** The network collector, with the socket tables as its part on their own cadence. */
export const createNetworkCollector = (
  options: NetworkCollectorOptions = {},
): PeriodicCollector<'network', NetworkReading, TcpTable> => ({
  name: 'network',
  intervalMs: options.intervalMs,
  part: {
    name: 'sockets',
    intervalMs: options.socketsIntervalMs ?? DEFAULT_SOCKETS_INTERVAL_MS,
    read: async (host) => readTcpTable(host),
  },
  read: readNetwork,
  derive: deriveNetwork,
});
