/** Where the studio keeps its jobs, uploads and results: beside the model cache. */
import path from 'node:path';
import { modelsDir } from '../weights/hub/paths.js';

type Env = Readonly<Record<string, string | undefined>>;

/** $AI_ART_HOME/studio, else the per-user ai-art cache folder's studio/ (as modelsDir). */
export function studioDir(env: Env = process.env): string {
  return path.join(path.dirname(modelsDir(env)), 'studio');
}

/** Joins `name` under `root`, refusing anything that would leave it (.., absolute, separators). */
export function inside(root: string, ...names: string[]): string {
  for (const n of names) {
    if (!n || n === '.' || n === '..' || /[/\\\0]/.test(n)) throw new Error(`invalid file name '${n}'`);
  }
  const p = path.resolve(root, ...names);
  const r = path.resolve(root);
  if (p !== r && !p.startsWith(r + path.sep)) throw new Error(`invalid file name '${names.join('/')}'`);
  return p;
}
