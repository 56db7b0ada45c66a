/**
 * Which VGG-19 style transfer runs on: torchvision's pretrained weights when cached
 * (or downloadable), else a seeded random network with a one-line notice.
 */
import fs from 'node:fs';
import { VGG19Features, type Pooling } from '../models/vgg19.js';
import { defaultHub, readModuleStateDict, type DownloadProgress } from '../weights/index.js';

export type WeightsSpec = 'auto' | 'vgg19' | 'random' | string;

export interface LoadedVgg {
  /** Names the weights in cache keys and reports. */
  id: string;
  random: boolean;
  build(pooling: Pooling): VGG19Features;
}

export interface LoadVggHooks {
  notice?: (m: string) => void;
  onDownload?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

function random(seed: number): LoadedVgg {
  return { id: `random:${seed}`, random: true, build: (p) => new VGG19Features(p).initRandom(seed) };
}

/** Reads only `features.*`: the 548 MB file's classifier is never loaded. */
async function fromFile(file: string): Promise<LoadedVgg> {
  const sd = await readModuleStateDict(file, { filter: (k) => k.startsWith('features.') });
  // Validate once now, so a wrong file fails before any image work.
  new VGG19Features('max').loadStateDict(sd);
  const st = fs.statSync(file);
  return {
    id: `file:${file}:${st.size}:${st.mtimeMs}`,
    random: false,
    build: (p) => {
      const vgg = new VGG19Features(p);
      vgg.loadStateDict(sd);
      return vgg;
    },
  };
}

export async function loadVgg(spec: WeightsSpec, seed: number, hooks: LoadVggHooks = {}): Promise<LoadedVgg> {
  const notice = hooks.notice ?? (() => undefined);
  if (spec === 'random') return random(seed);
  if (spec !== 'auto' && spec !== 'vgg19') {
    if (!fs.existsSync(spec)) throw new Error(`--weights ${spec}: no such file (use auto, vgg19, random or a .pth path)`);
    return fromFile(spec);
  }
  const hub = defaultHub();
  if (spec === 'vgg19') return fromFile(await hub.ensure('vgg19', { onProgress: hooks.onDownload, signal: hooks.signal }));
  try {
    return await fromFile(await hub.resolve('vgg19'));
  } catch {
    // not cached: try to download, and fall back to random weights when that fails
  }
  try {
    return await fromFile(await hub.ensure('vgg19', { onProgress: hooks.onDownload, signal: hooks.signal, timeoutMs: 15000 }));
  } catch (e) {
    notice(
      `pretrained VGG-19 is not available (${(e as Error).message.split('.')[0]}); using a seeded random VGG-19. ` +
        'For pretrained weights run `ai-art models pull vgg19` or pass --weights FILE.pth.',
    );
    return random(seed);
  }
}
