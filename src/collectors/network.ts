/**
 * TCP connections and interface throughput from `<procroot>/net/tcp`, `net/tcp6` and
 * `net/dev`.
 *
 * - connections by state (v4 + v6), total = every socket but LISTEN;
 * - established connections per remote address, for suspicious-IP rules. Loopback peers
 *   (127.0.0.0/8, ::1) count in the totals but not per IP: local clients of a local
 *   service must never be flagged (or blocked) as an attacker;
 * - new connections/s: connection 4-tuples (any state but LISTEN) absent from the
 *   previous reading, per second. 0 on the first tick (no previous reading);
 * - rx/tx bytes/s summed over interfaces except `lo`, 0 on the first tick.
 * A host without IPv6 has no tcp6 file: that is read as no v6 sockets, not a failure.
 */
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

/** Compresses eight 16-bit groups the RFC 5952 way (longest run of ≥2 zero groups → `::`). */
const compressIpv6 = (groups: number[]): string => {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
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
  return compressIpv6(groups);
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

/** What one tick keeps: the summary, the set of connections, the interface counters. */
export interface NetworkReading {
  connectionsByState: Record<string, number>;
  totalConnections: number;
  establishedPerRemoteIp: Record<string, number>;
  /** `local:port>remote:port` of every socket but LISTEN */
  connections: Set<string>;
  interfaces: InterfaceCounters[];
}

/** Pure: summarises sockets and interface counters into one reading. */
export const summariseNetwork = (sockets: TcpSocket[], interfaces: InterfaceCounters[]): NetworkReading => {
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
  return { connectionsByState, totalConnections: total, establishedPerRemoteIp, connections, interfaces };
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
    for (const c of cur.connections) if (!prev.connections.has(c)) fresh++;
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
    connectionsByState: cur.connectionsByState,
    totalConnections: cur.totalConnections,
    establishedPerRemoteIp: cur.establishedPerRemoteIp,
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
 * Reads tcp (required), tcp6 (absent without IPv6) and dev, synchronously
 * (Host.readProcSync): the socket tables are read in page-sized calls, and each call
 * through the thread pool costs a round trip. Measured with ~6,600 sockets on the dev VM:
 * ~12 ms sync against ~40 ms async. The event loop is held that long once per tick.
 * (tcp6 walks the same socket hash as tcp, so it costs as much even when nearly empty.
 * On hosts with 100k+ sockets, netlink sock_diag would be the fast path.)
 */
export const readNetwork = async (host: Host): Promise<NetworkReading> => {
  const dev = host.readProcSync('net', 'dev');
  const tcp = host.readProcSync('net', 'tcp');
  const tcp6 = readOptional(host, 'net', 'tcp6');
  if (!/^\s*sl\s/.test(tcp)) {
    throw new CollectorError('network', 'net/tcp: not a /proc/net/tcp table (no "sl" header)');
  }
  return summariseNetwork([...parseProcNetTcp(tcp), ...parseProcNetTcp(tcp6)], parseNetDev(dev));
};

/** The network collector. */
export const createNetworkCollector = (): PeriodicCollector<'network', NetworkReading> => ({
  name: 'network',
  read: readNetwork,
  derive: deriveNetwork,
});
