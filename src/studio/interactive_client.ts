/** The server's side of the interactive worker (interactive.ts): requests by id, restarted when it dies. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { InteractiveReply, InteractiveRequest } from './interactive.js';

type Pending = { resolve: (r: InteractiveReply) => void; reject: (e: Error) => void };

export class InteractiveWorker {
  private child: ChildProcess | null = null;
  private rid = 0;
  private readonly pending = new Map<number, Pending>();
  private chain: Promise<unknown> = Promise.resolve();

  private spawn(): ChildProcess {
    if (this.child?.connected) return this.child;
    const self = fileURLToPath(import.meta.url);
    const ts = self.endsWith('.ts');
    const file = self.replace(/interactive_client\.(ts|js)$/, ts ? 'interactive.ts' : 'interactive.js');
    const child = fork(file, [], { execArgv: ts ? ['--import', 'tsx'] : [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: { rid: number; ok: boolean; reply?: InteractiveReply; message?: string }) => {
      const p = this.pending.get(m.rid);
      if (!p) return;
      this.pending.delete(m.rid);
      if (m.ok && m.reply) p.resolve(m.reply);
      else p.reject(new Error(m.message ?? 'failed'));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      for (const [rid, p] of this.pending) {
        this.pending.delete(rid);
        p.reject(new Error(`the worker stopped (${signal ?? `exit code ${code}`})`));
      }
    });
    this.child = child;
    return child;
  }

  /**
   * One request at a time: the page debounces drawing, and a translation that waits for the
   * previous one uses the CPU better than two competing.
   */
  request<T extends InteractiveReply['type']>(req: InteractiveRequest & { type: T }): Promise<Extract<InteractiveReply, { type: T }>> {
    const run = () =>
      new Promise<InteractiveReply>((resolve, reject) => {
        const rid = ++this.rid;
        this.pending.set(rid, { resolve, reject });
        this.spawn().send({ rid, req });
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p as Promise<Extract<InteractiveReply, { type: T }>>;
  }

  async close(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null) {
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    }
  }
}
