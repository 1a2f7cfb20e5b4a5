/**
 * The never-touched check for parts that stop or kill processes on their own (fork-bomb
 * and leak rules, `panicmode exec`, rate_limit's duty cycle): `spareNow(host)` reads the
 * process table once and returns spare.ts's `spare(pid) => reason | null` for this
 * moment. Ask again for a later moment: ancestors and sessions change.
 */
import type { Host } from '../host/host.js';
import { readProcessView } from './process-view.js';
import { spareFrom, type Spare, type SpareOptions } from './spare.js';

export const spareNow = async (host: Host, options: SpareOptions = {}): Promise<Spare> =>
  spareFrom(await readProcessView(host, 0, async () => undefined), options);
