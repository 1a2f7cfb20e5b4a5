/**
 * The sshd filter against fail2ban's own annotated corpus (`sshd`, `sshd-journal`, read
 * in place from the Debian package; .ci/run installs it): per mode, every host fail2ban
 * expects is found (recall 1.0), no host outside its annotations (0 extra), every
 * injection line attributed to its annotated host, and every line exactly as annotated
 * (match or not, host, user, attempts). Skipped, saying so, only where the corpus is absent.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { corpusDir, corpusFigures, corpusPresent, replayCorpus } from './fail2ban-corpus.js';

const files = ['sshd', 'sshd-journal'] as const;
const modes = ['normal', 'ddos', 'extra', 'aggressive'] as const;
/** lines each (file, mode) must check at least (so a parsing slip cannot empty the test) */
const minLines: Record<(typeof files)[number], Record<(typeof modes)[number], number>> = {
  sshd: { normal: 100, ddos: 30, extra: 15, aggressive: 125 },
  'sshd-journal': { normal: 95, ddos: 14, extra: 14, aggressive: 110 },
};

describe('sshd filter vs fail2ban corpus', () => {
  for (const file of files) {
    const present = corpusPresent(file);
    const all = present ? replayCorpus(file, 'sshd') : [];
    for (const mode of modes) {
      test(`${file}, ${mode} mode: recall 1.0, 0 extra hosts, injections attributed, every line as annotated`, (t) => {
        if (!present) {
          t.skip(`fail2ban corpus absent (${corpusDir}/${file}): apt-get install fail2ban`);
          return;
        }
        const lines = all.filter((l) => l.file === file && l.mode === mode);
        const f = corpusFigures(lines);
        t.diagnostic(
          `${file} ${mode}: ${f.lines} lines checked, hosts expected ${f.expectedHosts}, recall ${f.recall.toFixed(3)}, extra ${f.extraHosts.length}, injection lines ${f.injectionAttributed}/${f.injectionLines}`,
        );
        assert.ok(f.lines >= minLines[file][mode], `only ${f.lines} lines checked`);
        assert.deepEqual(
          f.wrongLines.map((l) => `${l.file}:${l.lineNo} expected ${JSON.stringify(l.expect)} got ${JSON.stringify(l.got)}`),
          [],
        );
        assert.equal(f.recall, 1);
        assert.deepEqual(f.extraHosts, []);
        assert.equal(f.injectionAttributed, f.injectionLines);
      });
    }
  }
});
