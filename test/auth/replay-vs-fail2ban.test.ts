/**
 * `panicmode replay` against fail2ban itself, on fail2ban's own sshd corpora, in the
 * default (normal) mode: the measure an operator would take — run both tools over the
 * same log and compare the hosts each would ban. The peer runs here too
 * (`fail2ban-regex -o ip`), so the figure is the peer's, not our annotations' reading.
 *
 * One host is refused on purpose: `192.030.0.6` has a zero-padded octet, which inet_aton
 * (and so iptables) reads as octal, 192.24.0.6 — banning it would ban another address.
 * It is reported by the parser as a host name and never banned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir, corpusPresent } from './fail2ban-corpus.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'panicmode.js');
const fail2banRegex = '/usr/bin/fail2ban-regex';
const refusedOnPurpose = new Set(['192.030.0.6']);

/** Hosts fail2ban-regex finds in `file` with its sshd filter in normal mode. */
const fail2banHosts = (file: string): Set<string> => {
  const r = spawnSync(fail2banRegex, ['-o', 'ip', file, 'sshd[mode=normal]'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
};

/** Hosts `panicmode replay` counts failures for in `file` (normal mode, the agent's decision code). */
const replayHosts = (file: string): Set<string> => {
  const r = spawnSync(process.execPath, [bin, 'replay', '--log', file, '--json'], { encoding: 'utf8', cwd: root, env: { ...process.env, PANICMODE_CONFIG: '' } });
  assert.equal(r.status, 0, r.stderr);
  return new Set(Object.keys((JSON.parse(r.stdout) as { failures_by_ip: Record<string, number> }).failures_by_ip));
};

/** Every host the corpus annotates as a failure in some mode (failJSON host/ip4/ip6 with match true). */
const annotatedHosts = (text: string): Set<string> => {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# ?failJSON: *(\{.*\})\s*$/gm)) {
    const j = JSON.parse(m[1]!) as { match?: boolean; host?: string; ip4?: string; ip6?: string };
    if (j.match === false) continue;
    for (const h of [j.host, j.ip4, j.ip6]) if (h) out.add(h);
  }
  return out;
};

for (const file of ['sshd', 'sshd-journal']) {
  test(`replay finds every host fail2ban's normal-mode sshd filter finds in fail2ban's ${file} corpus, and none the corpus does not name`, (t) => {
    if (!corpusPresent(file) || !existsSync(fail2banRegex)) {
      t.skip(`fail2ban absent (${corpusDir}/${file}, ${fail2banRegex}): apt-get install fail2ban`);
      return;
    }
    const path = join(corpusDir, file);
    const peer = fail2banHosts(path);
    const ours = replayHosts(path);
    const missed = [...peer].filter((h) => !ours.has(h) && !refusedOnPurpose.has(h));
    const extra = [...ours].filter((h) => !peer.has(h));
    const unannotated = extra.filter((h) => !annotatedHosts(readFileSync(path, 'utf8')).has(h));
    const found = [...peer].filter((h) => ours.has(h)).length;
    t.diagnostic(
      `${file} (normal mode): replay found ${found} of the ${peer.size} hosts fail2ban-regex finds ` +
        `(not banned on purpose: ${[...peer].filter((h) => refusedOnPurpose.has(h)).join(', ') || 'none'}); ` +
        `${extra.length} more that fail2ban-regex misses but the corpus annotates as failures (${extra.join(', ') || 'none'}); ` +
        `${unannotated.length} hosts outside the corpus's annotations`,
    );
    assert.deepEqual(missed, [], 'hosts fail2ban bans that replay does not');
    assert.deepEqual(unannotated, [], 'hosts replay counts that fail2ban\'s corpus never marks as failures');
  });
}
