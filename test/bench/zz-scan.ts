import { spawn } from 'node:child_process';
import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHost } from '../../src/host/host.js';
import { readProcessTable, parsePidStatBytes } from '../../src/collectors/processes.js';
const groups = Array.from({ length: 10 }, () => spawn('sh', ['-c', 'for i in $(seq 500); do sleep 600 & done; wait'], { detached: true, stdio: 'ignore' }));
const killAll = () => { for (const g of groups) try { process.kill(-g.pid!, 'SIGKILL'); } catch {} };
process.on('exit', killAll);
await new Promise((r) => setTimeout(r, 6000));
const host = createHost();
const buf = Buffer.allocUnsafe(4096);
const variants: Record<string, () => unknown> = {
  current: () => readProcessTable(host),
  list: () => readdirSync('/proc'),
  joinPaths: () => { for (const n of readdirSync('/proc')) join('/proc', n, 'stat'); },
  rawJoin: () => { for (const n of readdirSync('/proc')) { if (n.charCodeAt(0) > 57) continue; try { const fd = openSync(join('/proc', n, 'stat'), 'r'); readSync(fd, buf, 0, 4096, null); closeSync(fd); } catch {} } },
  rawTmpl: () => { for (const n of readdirSync('/proc')) { if (n.charCodeAt(0) > 57) continue; try { const fd = openSync(`/proc/${n}/stat`, 'r'); readSync(fd, buf, 0, 4096, null); closeSync(fd); } catch {} } },
  rawTmplParse: () => { const m = new Map(); for (const n of readdirSync('/proc')) { if (n.charCodeAt(0) > 57) continue; try { const fd = openSync(`/proc/${n}/stat`, 'r'); const len = readSync(fd, buf, 0, 4096, null); closeSync(fd); const p = parsePidStatBytes(buf, len); if (p) m.set(p.pid, p); } catch {} } },
};
const times: Record<string, number[]> = {};
for (let r = 0; r < 15; r++) for (const [k, f] of Object.entries(variants)) { const t = performance.now(); await f(); (times[k] ??= []).push(performance.now() - t); }
for (const [k, v] of Object.entries(times)) { v.sort((a, b) => a - b); console.log(k.padEnd(14), 'median', v[7]!.toFixed(1), 'min', v[0]!.toFixed(1)); }
killAll(); process.exit(0);
