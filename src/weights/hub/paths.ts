/** Where weights live on disk, and where they are fetched from. */
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** ai-art's model cache: $AI_ART_HOME/models, else the platform's per-user cache folder. */
export function modelsDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.AI_ART_HOME) return join(env.AI_ART_HOME, 'models');
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'win32')
    return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'ai-art', 'Cache', 'models');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'ai-art', 'models');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'ai-art', 'models');
}

/** PyTorch's hub checkpoint folder, as torch.hub.get_dir() computes it ($TORCH_HOME, $XDG_CACHE_HOME/torch, ~/.cache/torch). */
export function torchHubCheckpointsDir(env: Env = process.env): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  const torchHome = env.TORCH_HOME || join(env.XDG_CACHE_HOME || join(home, '.cache'), 'torch');
  return join(torchHome, 'hub', 'checkpoints');
}

/**
 * The URL to fetch: with a mirror, its scheme, host and path prefix replace the
 * original host while the original path stays (so equal file names from two zoos
 * stay apart): mirror http://m:8080/w/ + http://h/cyclegan/x.pth → http://m:8080/w/cyclegan/x.pth.
 */
export function downloadUrl(original: string, mirror: string | undefined): string {
  if (!mirror) return original;
  const m = new URL(mirror);
  const o = new URL(original);
  const base = m.pathname.endsWith('/') ? m.pathname : `${m.pathname}/`;
  m.pathname = base + o.pathname.replace(/^\/+/, '');
  m.search = o.search;
  return m.toString();
}
