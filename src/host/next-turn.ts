/**
 * Lets the event loop turn once (timers, I/O callbacks, an SSH failure line) before a long
 * synchronous walk over /proc goes on: the process-table scan and the snapshot's cmdline
 * reads call it every slice, so neither holds the loop for the whole table.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
