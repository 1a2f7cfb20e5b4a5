/**
 * The control socket's frozen/thaw requests: parsed strictly, answered from the frozen
 * registry, and served without a ban manager (firewall.enabled: false).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCtlRequest } from '../../src/api/ctl-protocol.js';
import { handleCtlRequest, type CtlHandler } from '../../src/api/ctl-socket.js';
import type { FrozenProcess } from '../../src/actions/frozen-registry.js';

const f = (pid: number): FrozenProcess => ({ pid, startTicks: 1, name: 'x', cmdline: 'x', frozenAt: 0, action: 'freeze_top_process', reason: 'r', incidentKey: 'k', thawAt: null });

test('ctl protocol: frozen and thaw PID|all are requests; a bad pid is refused with why', () => {
  assert.deepEqual(parseCtlRequest('{"cmd":"frozen"}'), { cmd: 'frozen' });
  assert.deepEqual(parseCtlRequest('{"cmd":"thaw","pid":42}'), { cmd: 'thaw', pid: 42 });
  assert.deepEqual(parseCtlRequest('{"cmd":"thaw","pid":"all"}'), { cmd: 'thaw', pid: 'all' });
  for (const bad of ['{"cmd":"thaw"}', '{"cmd":"thaw","pid":-1}', '{"cmd":"thaw","pid":"42"}', '{"cmd":"thaw","pid":1.5}'])
    assert.equal(parseCtlRequest(bad), 'thaw: "pid" must be a process id (a whole number above 0) or "all"', bad);
});

test('ctl handler: frozen/thaw answered with the firewall off; bans say the firewall is off; an unknown pid is not thawed', async () => {
  const thawed: (number | 'all')[] = [];
  const h: CtlHandler = {
    bans: null,
    frozen: { list: () => [f(7)], thaw: (t) => (thawed.push(t), { thawed: [f(7)], gone: [] }) },
  };
  assert.deepEqual(await handleCtlRequest(h, { cmd: 'frozen' }), { ok: true, frozen: [f(7)] });
  assert.deepEqual(await handleCtlRequest(h, { cmd: 'thaw', pid: 8 }), { ok: false, error: 'pid 8 was not frozen by PanicMode (panicmode ctl frozen lists those that were)' });
  assert.deepEqual(await handleCtlRequest(h, { cmd: 'thaw', pid: 7 }), { ok: true, thawed: [f(7)], gone: [] });
  assert.deepEqual(thawed, [7]);
  assert.deepEqual(await handleCtlRequest(h, { cmd: 'list' }), { ok: false, error: 'the firewall is disabled here (firewall.enabled: false): no bans to list, lift or add' });
});
