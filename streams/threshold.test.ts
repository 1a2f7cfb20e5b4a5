import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breaches } from './threshold.js';

test('breaches: above/below, exclusive by default, inclusive on request, NaN never', () => {
  const above = breaches({ limit: 90 });
  assert.deepEqual([89.9, 90, 90.1, NaN].map(above), [false, false, true, false]);
  const aboveIncl = breaches({ limit: 90, inclusive: true });
  assert.deepEqual([89.9, 90, 90.1, NaN].map(aboveIncl), [false, true, true, false]);
  const below = breaches({ limit: 10, comparison: 'below' });
  assert.deepEqual([9, 10, 11, NaN].map(below), [true, false, false, false]);
  const belowIncl = breaches({ limit: 10, comparison: 'below', inclusive: true });
  assert.deepEqual([9, 10, 11].map(belowIncl), [true, true, false]);
});
