/**
 * The real Alertmanager (Debian's prometheus-alertmanager) as a child process on
 * 127.0.0.1: a free port, a temp storage dir, a config routing everything to a receiver
 * with no integrations, clustering off. Waits for `/-/ready`; `stop()` kills it and
 * removes the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './http-receiver.js';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const alertmanagerAvailable = (): boolean => existsSync(ALERTMANAGER_BIN);

export interface AlertmanagerProcess {
  url: string;
  stop(): Promise<void>;
}

export const startAlertmanager = async (): Promise<AlertmanagerProcess> => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-alertmanager-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child: ChildProcess = spawn(
    ALERTMANAGER_BIN,
    [
      `--config.file=${config}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`alertmanager exited with ${child.exitCode}: ${stderr}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`alertmanager not ready after 15s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop };
};
