/**
 * The studio's state on disk: one folder per job (job.json, frame.png, scale_K.png,
 * result.png) under <home>/jobs, uploads under <home>/uploads named by content hash.
 * job.json is rewritten atomically, so a restart finds every job as last recorded.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../images/save.js';
import { inside } from './paths.js';
import type { JobRecord } from './types.js';

export class Store {
  readonly jobsDir: string;
  readonly uploadsDir: string;
  readonly modelsDir: string;
  readonly tmpDir: string;
  /** Training runs started from the studio (one of the dashboard's roots). */
  readonly runsDir: string;
  /** Fast-style models: uploaded and trained here. */
  readonly fastDir: string;

  constructor(readonly home: string) {
    this.jobsDir = path.join(home, 'jobs');
    this.uploadsDir = path.join(home, 'uploads');
    this.modelsDir = path.join(home, 'models');
    this.tmpDir = path.join(home, 'tmp');
    this.runsDir = path.resolve(home, 'runs');
    this.fastDir = path.join(home, 'fast');
  }

  async init(): Promise<void> {
    for (const d of [this.jobsDir, this.uploadsDir, this.modelsDir, this.tmpDir, this.runsDir]) await mkdir(d, { recursive: true });
  }

  newId(): string {
    return `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(3).toString('hex')}`;
  }

  jobDir(id: string): string {
    return inside(this.jobsDir, id);
  }

  jobFile(id: string, name: string): string {
    return inside(this.jobsDir, id, name);
  }

  async saveJob(job: JobRecord): Promise<void> {
    await writeFileAtomic(this.jobFile(job.id, 'job.json'), Buffer.from(JSON.stringify(job)), { mkdirs: true });
  }

  /** Every job on disk, oldest first; unreadable folders are skipped. */
  async loadJobs(): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const name of (await readdir(this.jobsDir)).sort()) {
      try {
        out.push(JSON.parse(await readFile(this.jobFile(name, 'job.json'), 'utf8')) as JobRecord);
      } catch {
        // a half-created or foreign folder
      }
    }
    return out;
  }

  uploadPath(id: string): string {
    return inside(this.uploadsDir, id);
  }

  uploadExists(id: string): boolean {
    return /^[0-9a-f]{64}$/.test(id) && fs.existsSync(this.uploadPath(id));
  }
}
