/** Output folders checked before any work starts. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FastError } from './errors.js';

/**
 * Throws a FastError unless a file can be created in `dir` (created when `create`). Creating
 * and removing a probe file is the only check that also holds for root, whom permission bits
 * do not stop but read-only or special file systems do.
 */
export function assertWritableDir(dir: string, create = false): void {
  const abs = path.resolve(dir);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(abs);
  } catch {
    if (!create) throw new FastError(`cannot write to ${abs}: the folder does not exist`);
  }
  if (st && !st.isDirectory()) throw new FastError(`cannot write to ${abs}: it is a file, not a folder`);
  const probe = path.join(abs, `.ai-art-probe.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    if (!st) fs.mkdirSync(abs, { recursive: true });
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' ? 'the disk is full' : (e as Error).message;
    throw new FastError(`cannot write to ${abs}: ${why}`);
  }
}
