/** A `batch run` worker process: runs the jobs its parent sends, one at a time. */
import { JobAbortedError, runJob } from './execute.js';
import type { FromChild, ToChild } from './local.js';

const send = (m: FromChild) => process.send?.(m);
let controller: AbortController | undefined;
let stopped = false;

// Ctrl-C reaches the whole process group; the parent decides, and sends 'stop'.
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  controller?.abort();
  if (!controller) process.exit(0);
});

process.on('message', (m: ToChild) => {
  if (m.type === 'stop') {
    stopped = true;
    controller?.abort();
    return;
  }
  if (stopped) return;
  controller = new AbortController();
  const job = m.job;
  runJob(job, { threads: m.threads, signal: controller.signal, log: (line) => send({ type: 'log', id: job.id, line }) }).then(
    (result) => send({ type: 'done', result }),
    (e: unknown) =>
      send({ type: 'failed', id: job.id, error: e instanceof Error ? e.message : String(e), aborted: e instanceof JobAbortedError || controller?.signal.aborted === true }),
  ).finally(() => {
    controller = undefined;
    if (!process.connected) process.exit(0);
  });
});

send({ type: 'ready' });
