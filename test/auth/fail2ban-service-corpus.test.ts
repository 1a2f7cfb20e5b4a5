/**
 * The service filters (nginx-http-auth, postfix, dovecot) against fail2ban's own
 * annotated corpus for the same service (read in place from the Debian package; .ci/run
 * installs it), per mode the corpus exercises: recall ≥ 0.99 (the bar; today
 * 1.0), 0 extra hosts, injections attributed, and every line exactly as annotated.
 * The corpus files use no `constraint`, `test.condition` or option other than `mode`,
 * so no line is left out (the reader throws on a constraint it cannot evaluate).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { corpusTests, type CorpusBar } from './fail2ban-corpus.js';

const bars: Record<string, CorpusBar> = {
  'nginx-http-auth': {
    files: ['nginx-http-auth'],
    minLines: { 'nginx-http-auth': { normal: 6, auth: 6, fallback: 4, aggressive: 2 } },
    minRecall: 0.99,
  },
  postfix: {
    files: ['postfix'],
    // `more` is postfix's default mode: the corpus's `{}` blocks
    minLines: { postfix: { more: 29, normal: 25, rbl: 3, auth: 12, errors: 2, ddos: 11, aggressive: 51 } },
    minRecall: 0.99,
  },
  dovecot: {
    files: ['dovecot'],
    minLines: { dovecot: { normal: 50, aggressive: 8 } },
    minRecall: 0.99,
  },
};

for (const [filter, bar] of Object.entries(bars)) describe(`${filter} filter vs fail2ban corpus`, () => corpusTests(filter, bar, { test }, assert));
