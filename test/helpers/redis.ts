/**
 * A real redis-server for tests: a free loopback port (redis refuses --port 0, so a net server
 * finds one first), its own temporary folder and append-only file, so a restart on the same
 * port finds the queue as it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

/** A reason to skip, or false when redis-server is here. */
export function redisMissing(): string | false {
  return fs.existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is not installed (Debian package redis-server)`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM: it flushes the AOF) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
}

function waitReady(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${out}`));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-art-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--protected-mode', 'yes'];
  const r: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async start() {
      const p = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      // A test process that exits without stop() (a failed assertion) takes its server along.
      const reap = () => p.kill('SIGKILL');
      process.once('exit', reap);
      p.once('exit', () => process.removeListener('exit', reap));
      await waitReady(p);
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((res) => p.once('exit', res));
      p.kill('SIGTERM');
      await exited;
    },
  };
  await r.start();
  return r;
}

export async function removeRedis(r: TestRedis): Promise<void> {
  await r.stop();
  fs.rmSync(r.dir, { recursive: true, force: true });
}
