/**
 * What a `type: system` action's keys mean for a snapshot, as pure decisions the registry
 * and the config's key checks share. No imports: the config checks read it without
 * loading the readers.
 *
 * `capture:` names the sections of a snapshot, each read by PanicMode itself from the
 * proc root (no `ps`, `ss` or `free` needed, so a sidecar image without them snapshots
 * the host as well); absent, all of them.
 */
export const bundleSections = ['processes', 'connections', 'memory', 'load', 'mounts', 'pressure'] as const;
export type BundleSection = (typeof bundleSections)[number];

/**
 * Names the Rust PanicMode's configs write in `capture:` (its example has
 * `[logs, processes, connections, files]`) that PanicMode does not read itself: accepted
 * and named at start with what to write instead, so such a config keeps working.
 */
export const foreignCaptureNames: Readonly<Record<string, string>> = {
  logs: 'add the log command you want under commands: (journal: "journalctl -n 200 --no-pager")',
  files: 'add the command you want under commands: (open_files: "lsof -nP")',
};

/** The sections a `capture:` list selects (absent: all); foreign names select nothing, unknown ones are refused at load. */
export const captureSections = (capture: readonly string[] | undefined): Set<BundleSection> =>
  new Set(capture === undefined ? bundleSections : bundleSections.filter((s) => capture.includes(s)));

/** The span of a snapshot's CPU shares: two reads of the process table this far apart. */
export const SNAPSHOT_CPU_SAMPLE_MS = 1000;

/**
 * How long each extra command may run. The executor stops every action at its time limit
 * (`circuit_breakers.timeout`), and a snapshot stopped there writes nothing: so commands
 * get the action's `timeout`, cut to what the limit leaves after the CPU sample and a
 * second for reading and writing (never below 100 ms).
 */
export const commandTimeoutMs = (wantedMs: number, actionLimitMs: number): number =>
  Math.max(100, Math.min(wantedMs, actionLimitMs - SNAPSHOT_CPU_SAMPLE_MS - 1000));
