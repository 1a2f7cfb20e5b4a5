/**
 * Retry-After as an HTTP date is measured on the server's own clock (its `Date`
 * header), not ours: the agent's clock is the injected scheduler's, virtual in tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterHeader } from '../../../src/alerts/channels/http-post.js';

const reply = (headers: Record<string, string>) => ({ status: 429, body: '', headers });

test('Retry-After in seconds', () => {
  assert.equal(retryAfterHeader(reply({ 'retry-after': '3' })), 3000);
});

test('Retry-After as an HTTP date counts from the reply\'s Date header, whatever our clock says', () => {
  assert.equal(retryAfterHeader(reply({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT', date: 'Wed, 21 Oct 2015 07:28:00 GMT' })), 30_000);
});

test('Retry-After as a date without a Date header, or unparsable: not usable (the dispatcher\'s own backoff applies)', () => {
  assert.equal(retryAfterHeader(reply({ 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' })), undefined);
  assert.equal(retryAfterHeader(reply({ 'retry-after': 'soon', date: 'Wed, 21 Oct 2015 07:28:00 GMT' })), undefined);
  assert.equal(retryAfterHeader(reply({})), undefined);
});
