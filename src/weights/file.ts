/** Positional reads that either return every byte asked for or say why not. */
import { open, type FileHandle } from 'node:fs/promises';
import { WeightsError } from './errors.js';

export class RandomAccessFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RandomAccessFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new WeightsError('not-found', `${path}: no such file`, { cause: e });
      throw new WeightsError('io', `${path}: cannot open (${code ?? String(e)})`, { cause: e });
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw new WeightsError('io', `${path}: not a regular file`);
    }
    return new RandomAccessFile(path, fh, st.size);
  }

  /** Fills `target` from `position`; a range past the end of the file is an error naming what was wanted. */
  async readInto(target: Uint8Array, position: number, what = 'data'): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0 || position + target.length > this.size) {
      throw new WeightsError(
        'truncated',
        `${this.path}: ${what} at bytes ${position}..${position + target.length} lies past the end of the file (${this.size} bytes); the file is truncated or corrupt`,
      );
    }
    let done = 0;
    while (done < target.length) {
      // Large reads are split: a single read() is capped at 2 GiB by the OS.
      const n = Math.min(target.length - done, 1 << 30);
      const { bytesRead } = await this.fh.read(target, done, n, position + done);
      if (bytesRead === 0)
        throw new WeightsError('truncated', `${this.path}: file shrank while reading ${what}`);
      done += bytesRead;
    }
  }

  async read(position: number, length: number, what = 'data'): Promise<Buffer> {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.size) {
      throw new WeightsError(
        'corrupt',
        `${this.path}: ${what} declares ${length} bytes, more than the whole file (${this.size} bytes)`,
      );
    }
    const b = Buffer.allocUnsafe(length);
    await this.readInto(b, position, what);
    return b;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
