/** The problems of a config text that must fail to load (secrets checked, not fetched). */
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

export const problemsOf = async (text: string): Promise<string[]> => {
  try {
    await loadConfigText(text, 'test.yaml', { secrets: 'check' });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail('config was accepted');
};
