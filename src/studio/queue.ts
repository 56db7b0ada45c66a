/**
 * The job queue: jobs run one at a time, each in its own child process (worker.ts), so a
 * long optimisation never blocks the server and a stuck one can be killed. State changes go
 * to disk (job.json) and to listeners (the SSE streams); on start, jobs that were running when
 * the server stopped go back to the front of the queue.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Store } from './store.js';
import type { JobFiles, JobRecord, ServerMessage, WorkerMessage } from './types.js';

/** Events: 'job' (JobRecord: any change), 'progress' (id, progress), 'frame' (id, evaluation). */
export interface JobEvent {
  type: 'status' | 'progress' | 'frame' | 'scale' | 'notice';
  job: JobRecord;
}

const COST_POINTS = 2000;

function workerEntry(): { file: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  // Under tsx (tests, `npm run` from a checkout) the worker is TypeScript too.
  if (self.endsWith('.ts')) return { file: self.replace(/queue\.ts$/, 'worker.ts'), execArgv: ['--import', 'tsx'] };
  return { file: self.replace(/queue\.js$/, 'worker.js'), execArgv: [] };
}

export class JobQueue extends EventEmitter {
  private readonly jobs = new Map<string, JobRecord>();
  private running: { job: JobRecord; child: ChildProcess; killTimer?: NodeJS.Timeout } | null = null;
  private closed = false;
  /** Progress is frequent: job.json is rewritten at most this often while running. */
  private lastSave = 0;

  constructor(
    private readonly store: Store,
    private readonly resolveFiles: (job: JobRecord) => JobFiles,
    private readonly opts: { abortGraceMs?: number } = {},
  ) {
    super();
    this.setMaxListeners(0);
  }

  async init(): Promise<void> {
    for (const j of await this.store.loadJobs()) {
      if (j.status === 'running') {
        j.status = 'queued';
        j.notices.push(j.request.train ? 'the server stopped while this run trained; it continues from its last checkpoint' : 'the server stopped while this job ran; it starts again');
        j.frame = 0;
        j.costs = [];
        await this.store.saveJob(j);
      }
      this.jobs.set(j.id, j);
    }
    this.next();
  }

  list(): JobRecord[] {
    return [...this.jobs.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  findDone(cacheKey: string): JobRecord | undefined {
    return [...this.jobs.values()].find((j) => j.cacheKey === cacheKey && (j.status === 'done' || j.status === 'queued' || j.status === 'running'));
  }

  async add(job: JobRecord): Promise<void> {
    this.jobs.set(job.id, job);
    await this.store.saveJob(job);
    this.emitJob('status', job);
    this.next();
  }

  /** Queued: cancelled at once. Running: the worker stops after its step and keeps its last frame. */
  async cancel(id: string): Promise<JobRecord | undefined> {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.status === 'queued') {
      job.status = 'cancelled';
      job.finished = Date.now();
      await this.store.saveJob(job);
      this.emitJob('status', job);
    } else if (job.status === 'running' && this.running?.job === job) {
      const r = this.running;
      this.post(r.child, { type: 'abort' });
      // A training step at full size and its checkpoint take longer than a style step.
      const grace = (this.opts.abortGraceMs ?? 30000) * (job.request.train ? 4 : 1);
      r.killTimer ??= setTimeout(() => r.child.kill('SIGKILL'), grace);
    }
    return job;
  }

  /** Removes a finished job from the history (its folder stays until deleted by hand). */
  async remove(id: string): Promise<boolean> {
    const job = this.jobs.get(id);
    if (!job || job.status === 'running' || job.status === 'queued') return false;
    this.jobs.delete(id);
    const { rm } = await import('node:fs/promises');
    await rm(this.store.jobDir(id), { recursive: true, force: true });
    return true;
  }

  /** Stops the running worker (its job is re-run on the next start) and takes no more jobs. */
  async close(): Promise<void> {
    this.closed = true;
    const r = this.running;
    if (!r) return;
    await new Promise<void>((resolve) => {
      r.child.once('exit', () => resolve());
      r.child.kill('SIGKILL');
    });
  }

  private post(child: ChildProcess, m: ServerMessage): void {
    if (child.connected) child.send(m);
  }

  private emitJob(type: JobEvent['type'], job: JobRecord): void {
    this.emit('event', { type, job } satisfies JobEvent);
  }

  private next(): void {
    if (this.closed || this.running) return;
    const job = [...this.jobs.values()].filter((j) => j.status === 'queued').sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    if (!job) return;
    let files;
    try {
      files = this.resolveFiles(job);
    } catch (e) {
      job.status = 'failed';
      job.error = (e as Error).message;
      void this.store.saveJob(job).then(() => this.next());
      this.emitJob('status', job);
      return;
    }
    const { file, execArgv } = workerEntry();
    const child = fork(file, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.running = { job, child };
    job.status = 'running';
    job.started = Date.now();
    void this.store.saveJob(job);
    this.emitJob('status', job);
    let ended = false;
    child.on('message', (m: WorkerMessage) => this.onMessage(job, m));
    child.on('exit', (code, signal) => {
      if (this.running?.child === child) {
        clearTimeout(this.running.killTimer);
        this.running = null;
      }
      if (!ended && !this.closed) {
        ended = true;
        if (job.status === 'running') {
          job.status = 'failed';
          job.error ??= `the worker stopped (${signal ?? `exit code ${code}`})`;
          job.finished = Date.now();
        }
        void this.store.saveJob(job).then(() => {
          this.emitJob('status', job);
          this.next();
        });
      }
    });
    this.post(child, { type: 'start', job, dir: this.store.jobDir(job.id), files });
  }

  private onMessage(job: JobRecord, m: WorkerMessage): void {
    switch (m.type) {
      case 'progress': {
        job.progress = m.progress;
        const p = m.progress;
        job.costs.push([p.evaluation, p.total, p.content, p.style, p.tv]);
        // Long runs keep every other point: the chart stays small and its shape the same.
        if (job.costs.length > COST_POINTS) job.costs = job.costs.filter((_, i) => i % 2 === 0);
        if (Date.now() - this.lastSave > 1000) {
          this.lastSave = Date.now();
          void this.store.saveJob(job);
        }
        this.emitJob('progress', job);
        break;
      }
      case 'frame':
        job.frame = m.evaluation;
        this.emitJob('frame', job);
        break;
      case 'scale':
        job.scaleFrames.push(m.frame);
        void this.store.saveJob(job);
        this.emitJob('scale', job);
        break;
      case 'train':
        job.train = m.progress;
        if (Date.now() - this.lastSave > 1000) {
          this.lastSave = Date.now();
          void this.store.saveJob(job);
        }
        this.emitJob('progress', job);
        break;
      case 'notice':
        job.notices.push(m.message);
        this.emitJob('notice', job);
        break;
      case 'done':
        job.status = m.interrupted ? 'stopped' : 'done';
        job.result = true;
        job.report = m.report;
        job.finished = Date.now();
        break;
      case 'error':
        job.status = 'failed';
        job.error = m.message;
        job.finished = Date.now();
        break;
    }
  }
}
