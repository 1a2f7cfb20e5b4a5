/**
 * `panicmode test [FILE|DIR ...]`: runs rule tests (`*.test.yaml`) in virtual time —
 * detection → action → alert, end to end, without a host — and prints one line per
 * test, with a diff of expected vs actual events for each failure. Exit 0 when all
 * pass, 1 when one fails, 2 when a test file is malformed (every problem named by
 * its place, as for configs) or a path does not exist.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from './command.js';
import { parseArgs } from './args.js';
import { ConfigError, ExitCode, UsageError } from '../errors.js';
import { loadRuleTestFile } from '../testing/rule-test-file.js';
import { runRuleTest } from '../testing/run-rule-test.js';

const help = `Usage: panicmode test [FILE|DIR ...]

Runs rule tests: YAML files named *.test.yaml (directories are searched recursively;
default: the current directory). Each test feeds metric series and log lines to the
agent's rules in virtual time and checks the incidents, actions, bans and alerts
they produce, at their virtual times:

  config: host-pressure.yaml        # the config or rule pack under test (or inline)
  interval: 5s                      # the virtual check interval
  tests:
    - name: CPU saturated fires after 30 s and resolves
      metrics:
        cpu.usagePercent: "50 95x7 40x4"   # one value per interval; 95x7 = 95 and 7 more
      processes:
        - { name: stress, pid: 4242, cpu: "5 190x10", rss_mb: "300x11" }
      logs:
        - { at: 10s, every: 1s, repeat: 6, line: "Jan  1 00:00:10 h sshd[9]: Failed password for root from 203.0.113.7 port 22 ssh2" }
      services:                            # the config's processes: (supervised), how each start lives
        web: { lives: [20s, forever] }     # crashes 20 s after its first start; the restart holds
      expect:
        incidents: [ { at: 35s, name: CPU saturated, status: firing, severity: critical } ]
        actions:   [ { at: 15s, action: block_ip, target: 203.0.113.7 } ]
        bans:      [ { at: 15s, ip: 203.0.113.7, until: 1h15s } ]
        alerts:    [ { at: 35s, severity: critical, name: CPU saturated } ]

A list under expect that is given must match exactly; one left out is not checked.
Actions are recorded, never run. See docs/rule-testing.md.

Exit codes: 0 all passed, 1 a test failed, 2 a malformed test file or bad path.
`;

const TEST_FILE = /\.test\.ya?ml$/;

/** The test files under `path` (itself when a file), sorted; node_modules and dot directories skipped. */
const findTestFiles = async (path: string): Promise<string[]> => {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new UsageError(`${path}: no such file or directory`);
  }
  if (s.isFile()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await findTestFiles(child)));
    else if (TEST_FILE.test(entry.name)) out.push(child);
  }
  return out;
};

export const command: Command = {
  name: 'test',
  summary: 'run rule tests (*.test.yaml) in virtual time',
  help,
  run: async (argv) => {
    const { positionals } = parseArgs(argv, {}, 'test');
    const roots = positionals.length > 0 ? positionals : ['.'];
    const files = [...new Set((await Promise.all(roots.map(findTestFiles))).flat())];
    if (files.length === 0) throw new UsageError(`no test files (*.test.yaml) in ${roots.join(', ')}`);

    const out = (line: string) => process.stdout.write(line + '\n');
    let passed = 0;
    let failed = 0;
    let malformed = 0;
    for (const file of files) {
      const shown = relative(process.cwd(), file) || file;
      let loaded;
      try {
        loaded = await loadRuleTestFile(file);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        malformed++;
        process.stderr.write(`MALFORMED ${shown}:\n  ${err.problems.join('\n  ')}\n`);
        continue;
      }
      const warned = new Set<string>();
      for (const tc of loaded.tests) {
        const r = await runRuleTest(loaded.config, tc, loaded.intervalMs);
        for (const u of r.unavailable) {
          if (!warned.has(u.monitor)) process.stderr.write(`note: ${shown}: monitor "${u.monitor}": ${u.reason}; it cannot fire\n`);
          warned.add(u.monitor);
        }
        if (r.passed) {
          passed++;
          out(`PASS ${shown}: ${tc.name}`);
          continue;
        }
        failed++;
        out(`FAIL ${shown}: ${tc.name}`);
        for (const k of r.kinds) {
          if (k.passed) continue;
          out(`  ${k.kind} (- expected, + actual):`);
          for (const line of k.diff) out(`    ${line}`);
        }
      }
    }
    out(`${passed + failed} tests: ${passed} passed, ${failed} failed${malformed ? `; ${malformed} malformed file${malformed === 1 ? '' : 's'}` : ''}`);
    return malformed > 0 ? ExitCode.usage : failed > 0 ? ExitCode.runtime : ExitCode.ok;
  },
};
