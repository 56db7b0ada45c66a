/** The studio's HTTP API, typed with the server's own shapes. */
import type { JobProgress, JobRecord, JobRequest } from '../../src/studio/types.js';
import type { ObjectSchema } from '../../src/studio/schemas.js';
import type { OptionsStamp } from '../../src/images/pngtext.js';

export type { JobProgress, JobRecord, JobRequest, ObjectSchema, OptionsStamp };

export interface UploadInfo {
  id: string;
  name: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  stamp: OptionsStamp | null;
}

export interface ModelEntry {
  model: string;
  label: string;
  kind: 'cyclegan' | 'pix2pix' | 'fast';
  netG: string;
  inputNc: number;
  cached: boolean;
  source: 'zoo' | 'upload';
}

async function check<T>(r: Response): Promise<T> {
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try {
      msg = ((await r.json()) as { error?: string }).error ?? msg;
    } catch {
      // not JSON
    }
    throw new Error(msg);
  }
  return (r.status === 204 ? undefined : await r.json()) as T;
}

export const api = {
  get: <T>(path: string) => fetch(path).then((r) => check<T>(r)),
  post: <T>(path: string, body?: unknown) =>
    fetch(path, { method: 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => check<T>(r)),
  del: (path: string) => fetch(path, { method: 'DELETE' }).then((r) => check<void>(r)),
  upload: (file: Blob, name: string, route = '/api/uploads') => {
    const fd = new FormData();
    fd.append('file', file, name);
    return fetch(route, { method: 'POST', body: fd }).then((r) => check<UploadInfo>(r));
  },
};

export const fileUrl = (id: string, name: string, bust?: number | string) =>
  `/api/jobs/${id}/files/${name}${bust !== undefined ? `?v=${bust}` : ''}`;
export const uploadUrl = (id: string) => `/api/uploads/${id}`;

export type JobEvents = {
  job?: (j: JobRecord) => void;
  progress?: (p: { progress: JobProgress; cost?: [number, number, number, number, number] }) => void;
  frame?: (f: { evaluation: number }) => void;
};

/** Watches a job over SSE; returns a function that stops watching. */
export function watchJob(id: string, on: JobEvents): () => void {
  const es = new EventSource(`/api/jobs/${id}/events`);
  es.addEventListener('job', (e) => on.job?.(JSON.parse((e as MessageEvent<string>).data) as JobRecord));
  es.addEventListener('progress', (e) => on.progress?.(JSON.parse((e as MessageEvent<string>).data)));
  es.addEventListener('frame', (e) => on.frame?.(JSON.parse((e as MessageEvent<string>).data)));
  return () => es.close();
}

export const FINISHED = new Set(['done', 'stopped', 'failed', 'cancelled']);

export function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? n.toExponential(2) : n.toPrecision(4).replace(/\.?0+$/, '');
}

export function fmtSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
