/** Decode-worker entry: runs processItem for jobs posted by DecodePool and hands the tensors back without copying. */
import { parentPort, threadId } from 'node:worker_threads';
import { ItemError, processItem, type ItemJob } from './item.js';
import type { TransformConfig } from './transform.js';

interface Request {
  id: number;
  job: ItemJob;
  cfg: TransformConfig;
}

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');

port.on('message', (req: Request) => {
  processItem(req.job, req.cfg).then(
    (result) => {
      const transfer = [result.A.data.buffer, ...(result.B ? [result.B.data.buffer] : [])] as ArrayBuffer[];
      port.postMessage({ id: req.id, ok: true, result, threadId }, transfer);
    },
    (e: unknown) => {
      const file = e instanceof ItemError ? e.file : '';
      const message = e instanceof Error ? e.message : String(e);
      port.postMessage({
        id: req.id,
        ok: false,
        file,
        message,
        threadId,
        internal: !(e instanceof ItemError),
      });
    },
  );
});
