/**
 * Dataset folders for training from the studio: only folders directly under the configured
 * `--datasets` roots, listed with their picture counts; a request names one by root index and
 * folder name (JSON Schema: one path component), never by path.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inside } from '../paths.js';
import { RUN_NAME } from '../runs.js';
import type { StudioContext } from '../server.js';
import { ClientError } from '../uploads.js';

export interface DatasetEntry {
  root: number;
  name: string;
  /** Pictures anywhere under the folder (counting stops at COUNT_CAP). */
  images: number;
  /** Sub-folders directly under it (trainA, trainB, train, ...): which trainers it suits. */
  folders: string[];
}

const PICTURE = /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i;
const COUNT_CAP = 1_000_000;

async function countPictures(dir: string): Promise<number> {
  let n = 0;
  const walk = async (d: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (n >= COUNT_CAP) return;
      if (e.isFile() && PICTURE.test(e.name)) n++;
      // Symbolic links are not followed: a dataset stays under its root.
      else if (e.isDirectory() && depth < 8) await walk(path.join(d, e.name), depth + 1);
    }
  };
  await walk(dir, 0);
  return n;
}

/** The folder a request's dataset names, or a 400 saying what is wrong. */
export async function datasetDir(ctx: StudioContext, ref: { root: number; name: string }): Promise<string> {
  const root = ctx.datasetRoots[ref.root];
  if (root === undefined)
    throw new ClientError(
      400,
      `dataset: no dataset root ${ref.root} (the studio has ${ctx.datasetRoots.length})`,
    );
  if (!RUN_NAME.test(ref.name)) throw new ClientError(400, `dataset: invalid folder name '${ref.name}'`);
  const dir = inside(root, ref.name);
  // lstat: a symbolic link is not a folder under the root, wherever it points.
  const s = await lstat(dir).catch(() => null);
  if (!s?.isDirectory())
    throw new ClientError(400, `dataset: no folder '${ref.name}' in dataset root ${ref.root}`);
  return dir;
}

export function registerDatasetRoutes(app: FastifyInstance, ctx: StudioContext): void {
  app.get('/api/datasets', async () => {
    const datasets: DatasetEntry[] = [];
    for (const [i, root] of ctx.datasetRoots.entries()) {
      const entries = await readdir(root, { withFileTypes: true }).catch(() => [] as Dirent[]);
      for (const e of entries
        .filter((x) => x.isDirectory() && RUN_NAME.test(x.name))
        .sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const dir = path.join(root, e.name);
        const folders = (await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]))
          .filter((x) => x.isDirectory())
          .map((x) => x.name)
          .sort();
        datasets.push({ root: i, name: e.name, images: await countPictures(dir), folders });
      }
    }
    return { roots: ctx.datasetRoots.map((folder, root) => ({ root, folder })), datasets };
  });
}
