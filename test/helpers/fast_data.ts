/** Tiny synthetic data for fast style transfer training: demo scenes as PNG files. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { demoScenePng, type DemoSceneName } from '../../src/images/scenes.js';

/** `n` content pictures (landscape scenes with different seeds and sizes) under dir/sub/. */
export async function fastDataset(dir: string, n: number): Promise<string> {
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const name: DemoSceneName = i % 3 === 2 ? 'waves' : 'landscape';
    const png = await demoScenePng(name, { width: 40 + 4 * (i % 3), height: 36, seed: i + 1 });
    await writeFile(path.join(dir, 'sub', `img_${String(i).padStart(3, '0')}.png`), png);
  }
  return dir;
}

export async function styleImage(file: string, size = 48): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await demoScenePng('mosaic', { width: size, height: size, seed: 3 }));
  return file;
}
