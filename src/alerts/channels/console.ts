/**
 * Console: one readable line per alert on stderr (or any writable given), e.g.
 *   [CRITICAL] web-1 high_cpu: CPU 97.3% > 80% — froze pid 4242
 *   [RESOLVED] web-1 high_cpu: CPU now 41.0% (threshold 80%)
 * It is the channel of last resort, so it never fails on content.
 */
import type { AlertChannel, AlertMessage } from '../alert.js';
import { stormSuffix } from '../format.js';

export interface ConsoleOptions {
  /** default process.stderr */
  stream?: { write(chunk: string): unknown };
}

/** The single line the console channel prints for an alert. */
export const consoleLine = (m: AlertMessage): string => {
  const tag = m.status === 'resolved' ? 'RESOLVED' : m.severity.toUpperCase();
  // The title's "SEVERITY name on host: " prefix is replaced by the bracketed tag and host.
  const colon = m.title.indexOf(': ');
  const fromTitle = colon >= 0 ? m.title.slice(colon + 2) : m.title;
  const what = m.status === 'resolved' ? fromTitle : m.incident.description.trim() || fromTitle;
  const storm = m.status === 'resolved' ? '' : stormSuffix(m.incident.count);
  const done = m.actionsTaken.length > 0 ? ` — ${m.actionsTaken.join(', ')}` : '';
  return `[${tag}] ${m.host} ${m.incident.name}: ${what}${storm ? ` (${storm})` : ''}${done}`.replace(/[\r\n]+/g, ' ');
};

export const createConsoleChannel = (o: ConsoleOptions = {}): AlertChannel => {
  const stream = o.stream ?? process.stderr;
  return {
    name: 'console',
    async send(message: AlertMessage): Promise<void> {
      stream.write(`${consoleLine(message)}\n`);
    },
  };
};
