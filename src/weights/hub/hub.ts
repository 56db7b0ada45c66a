/**
 * Named weights on disk: finding them (ai-art's cache, then PyTorch's hub cache),
 * downloading them, importing files the user already has, and listing them.
 *
 * A file becomes visible under its final name only after its hash and structure
 * were checked (download into NAME.part, import into a temporary file, then an
 * atomic rename), so a partial or wrong file is never picked up. Hashes of files
 * found in place (PyTorch's cache, or placed by hand) are checked once and
 * remembered by path, size and mtime in state.json.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { PthReader } from '../reader.js';
import { RandomAccessFile } from '../file.js';
import { ZipDirectory } from '../zip.js';
import { inspectOnnx } from '../onnx_model.js';
import { writeFileAtomic } from '../writer.js';
import { WeightsError } from '../errors.js';
import { fmtShape } from '../tensor.js';
import { HubError } from './errors.js';
import { discardPart, downloadToPart, metaPath, type DownloadProgress } from './download.js';
import { withFileLock } from './lock.js';
import { downloadUrl, modelsDir, torchHubCheckpointsDir } from './paths.js';
import { REGISTRY, type Architecture, type HubEntry } from './registry.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface HubOptions {
  /** Cache folder; default $AI_ART_HOME/models or the platform cache. */
  dir?: string;
  /** PyTorch's hub checkpoint folder to look in; null to not look. */
  torchHubDir?: string | null;
  /** Replaces every download host (default $AI_ART_HUB_MIRROR). */
  mirror?: string | null;
  registry?: readonly HubEntry[];
  env?: Env;
}

export interface PullOptions {
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Abandon a download when no byte arrives for this long. Default 30 s. */
  timeoutMs?: number;
  /** Expected sha256 (full, or a prefix of at least 8 hex digits) pinned by the user. */
  sha256?: string;
  /** Download again even if a verified copy is present. */
  force?: boolean;
  /** Called when another pull of the same file (this or another process) holds the lock. */
  onWait?: () => void;
}

export interface PullResult {
  name: string;
  path: string;
  /** False when a verified copy was already there. */
  downloaded: boolean;
  sha256: string;
}

export interface ModelInfo {
  name: string;
  aliases: readonly string[];
  description: string;
  /** The network the weights are for; null for imported files of unknown origin. */
  arch: Architecture | null;
  source: 'registry' | 'imported';
  url: string | null;
  /** Actual size when present, else the registry's approximate size. */
  sizeBytes: number;
  cached: boolean;
  path: string | null;
  location: 'ai-art' | 'torch-hub' | null;
}

export interface ImportOptions {
  /** Registry name, or a new name for a file of your own (default: guessed from the file name). */
  as?: string;
  sha256?: string;
}

interface Verified {
  size: number;
  mtimeMs: number;
  sha256: string;
}

interface State {
  /** sha256 recorded on first use (or pinned by the user), by canonical name. */
  pins: Record<string, string>;
  /** Files already checked, by absolute path. */
  verified: Record<string, Verified>;
}

const LOCAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const inflight = new Map<string, Promise<PullResult>>();

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function normalizeSha(s: string): string {
  const v = s.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(v))
    throw new HubError('hash-mismatch', `'${s}' is not a sha256 (8 to 64 hex digits)`);
  return v;
}

/** A named file of the user's own, imported under <dir>/local. */
interface LocalEntry {
  name: string;
  local: true;
}

type Entry = HubEntry | LocalEntry;

function isLocal(e: Entry): e is LocalEntry {
  return 'local' in e;
}

export class Hub {
  readonly dir: string;
  readonly torchHubDir: string | null;
  readonly mirror: string | null;
  readonly registry: readonly HubEntry[];

  constructor(opts: HubOptions = {}) {
    const env = opts.env ?? process.env;
    this.dir = resolvePath(opts.dir ?? modelsDir(env));
    this.torchHubDir =
      opts.torchHubDir === null ? null : resolvePath(opts.torchHubDir ?? torchHubCheckpointsDir(env));
    this.mirror = opts.mirror === null ? null : (opts.mirror ?? env.AI_ART_HUB_MIRROR ?? null) || null;
    if (this.mirror) {
      try {
        new URL(this.mirror);
      } catch {
        throw new HubError(
          'network',
          `AI_ART_HUB_MIRROR='${this.mirror}' is not a URL (expected e.g. http://host:port/)`,
        );
      }
    }
    this.registry = opts.registry ?? REGISTRY;
  }

  /** The registry entry for a name or alias; unknown names get suggestions. */
  lookup(name: string): HubEntry {
    const e = this.findEntry(name);
    if (e) return e;
    const bare = name.includes('/') ? name.slice(name.indexOf('/') + 1) : name;
    const both = this.registry.filter((r) => r.name.endsWith(`/${bare}`));
    if (both.length > 1) {
      throw new HubError(
        'unknown-model',
        `'${name}' is in more than one zoo: use ${both.map((r) => r.name).join(' or ')}`,
      );
    }
    const close = this.registry
      .filter((r) => r.name.includes(bare) || bare.includes(r.name.split('/').pop() ?? ''))
      .map((r) => r.name);
    const hint = close.length ? `did you mean ${close.slice(0, 4).join(', ')}?` : 'see `ai-art models list`';
    throw new HubError('unknown-model', `unknown model '${name}': ${hint}`);
  }

  private findEntry(name: string): HubEntry | undefined {
    return this.registry.find((r) => r.name === name || r.aliases.includes(name));
  }

  /** Where ai-art keeps (or would keep) a registry file. */
  cachePath(e: HubEntry): string {
    return join(this.dir, e.cacheSubdir, e.fileName);
  }

  private localPath(name: string): string {
    return join(this.dir, 'local', `${name}.pth`);
  }

  /** The URL a registry file is fetched from (the mirror applied). */
  urlFor(e: HubEntry): string {
    return downloadUrl(e.url, this.mirror ?? undefined);
  }

  private async entryFor(name: string): Promise<Entry> {
    const e = this.findEntry(name);
    if (e) return e;
    const local = name.startsWith('local/') ? name.slice(6) : name;
    if (LOCAL_NAME.test(local) && (await exists(this.localPath(local))))
      return { name: `local/${local}`, local: true };
    return this.lookup(name);
  }

  /** A present copy, without checking it. */
  private async locate(e: Entry): Promise<{ path: string; location: 'ai-art' | 'torch-hub' } | null> {
    if (isLocal(e)) {
      const p = this.localPath(e.name.slice(6));
      return (await exists(p)) ? { path: p, location: 'ai-art' } : null;
    }
    const own = this.cachePath(e);
    if (await exists(own)) return { path: own, location: 'ai-art' };
    if (e.inTorchHub && this.torchHubDir) {
      const p = join(this.torchHubDir, e.fileName);
      if (await exists(p)) return { path: p, location: 'torch-hub' };
    }
    return null;
  }

  async list(): Promise<ModelInfo[]> {
    const out: ModelInfo[] = [];
    for (const e of this.registry) {
      const at = await this.locate(e);
      out.push({
        name: e.name,
        aliases: e.aliases,
        description: e.description,
        arch: e.arch,
        source: 'registry',
        url: this.urlFor(e),
        sizeBytes: at ? (await stat(at.path)).size : e.approxBytes,
        cached: at !== null,
        path: at?.path ?? null,
        location: at?.location ?? null,
      });
    }
    let names: string[] = [];
    try {
      names = (await readdir(join(this.dir, 'local')))
        .filter((f) => f.endsWith('.pth') && LOCAL_NAME.test(f.slice(0, -4)))
        .sort();
    } catch {
      /* nothing imported yet */
    }
    for (const f of names) {
      const p = join(this.dir, 'local', f);
      out.push({
        name: `local/${f.slice(0, -4)}`,
        aliases: [f.slice(0, -4)],
        description: 'imported file',
        arch: null,
        source: 'imported',
        url: null,
        sizeBytes: (await stat(p)).size,
        cached: true,
        path: p,
        location: 'ai-art',
      });
    }
    return out;
  }

  /**
   * Path of a present, verified copy. A missing one is an error that says how to
   * get it: the pull command, where to place a file fetched by other means, or the
   * mirror variable.
   */
  async resolve(name: string, opts: { sha256?: string } = {}): Promise<string> {
    const e = await this.entryFor(name);
    const at = await this.locate(e);
    if (!at)
      throw new HubError('not-cached', `${e.name} is not downloaded yet. ${this.howToGet(e as HubEntry)}`);
    await this.verify(e, at.path, { sha256: opts.sha256 });
    return at.path;
  }

  /** resolve(), downloading first when the file is not here. */
  async ensure(name: string, opts: PullOptions = {}): Promise<string> {
    const e = await this.entryFor(name);
    if (isLocal(e) || (await this.locate(e))) return this.resolve(name, opts);
    return (await this.pull(name, opts)).path;
  }

  /** What to fetch by hand and where to put it. */
  private byHand(e: HubEntry): string {
    if (e.archive)
      return `download ${e.url} (a zip) by other means and place it at ${this.archivePath(e)}, or extract its ${e.archive.member} to ${this.cachePath(e)}`;
    return `download ${e.url} by other means and place it at ${this.cachePath(e)}`;
  }

  private howToGet(e: HubEntry): string {
    return (
      `Run \`ai-art models pull ${e.name}\`; without network access, ${this.byHand(e)} ` +
      `(or run \`ai-art models import FILE --as ${e.name}\`); ` +
      `behind a firewall, set AI_ART_HUB_MIRROR=http://host:port/ to fetch from a mirror.`
    );
  }

  async pull(name: string, opts: PullOptions = {}): Promise<PullResult> {
    const e = await this.entryFor(name);
    if (isLocal(e))
      throw new HubError('unknown-model', `${e.name} was imported from a file and has no download source`);
    const final = this.cachePath(e);
    const running = inflight.get(final);
    if (running) {
      opts.onWait?.();
      return running;
    }
    const p = this.pullLocked(e, final, opts).finally(() => inflight.delete(final));
    inflight.set(final, p);
    return p;
  }

  private async pullLocked(e: HubEntry, final: string, opts: PullOptions): Promise<PullResult> {
    if (!opts.force) {
      const at = await this.locate(e);
      if (at)
        return {
          name: e.name,
          path: at.path,
          downloaded: false,
          sha256: await this.verify(e, at.path, opts),
        };
    }
    await mkdir(dirname(final), { recursive: true });
    return withFileLock(
      `${final}.lock`,
      async () => {
        if (!opts.force && (await exists(final))) {
          // Another process finished it while we waited.
          return { name: e.name, path: final, downloaded: false, sha256: await this.verify(e, final, opts) };
        }
        const part = `${final}.part`;
        const url = this.urlFor(e);
        let got;
        if (e.archive) got = await this.extractMember(e, part, opts);
        else {
          try {
            got = await downloadToPart(url, part, {
              onProgress: opts.onProgress,
              signal: opts.signal,
              timeoutMs: opts.timeoutMs,
            });
          } catch (err) {
            throw this.explain(err, e, url);
          }
        }
        try {
          await this.verify(e, part, { sha256: opts.sha256, digest: got.sha256, record: false });
        } catch (err) {
          await discardPart(part);
          throw err;
        }
        await rename(part, final);
        await rm(metaPath(part), { force: true });
        await this.remember(e.name, final, got.sha256);
        return { name: e.name, path: final, downloaded: true, sha256: got.sha256 };
      },
      { signal: opts.signal, onWait: opts.onWait },
    );
  }

  /** Where the zip an archive entry comes from is kept (shared by the entries it holds). */
  archivePath(e: HubEntry): string | null {
    return e.archive ? join(this.dir, e.cacheSubdir, e.archive.fileName) : null;
  }

  /**
   * Writes an archive entry's member to `part`, downloading the zip first unless a copy is
   * kept. A zip that does not hold the member or fails its CRC is deleted so that the next pull
   * fetches it again.
   */
  private async extractMember(e: HubEntry, part: string, opts: PullOptions): Promise<{ sha256: string; size: number }> {
    const zipPath = this.archivePath(e)!;
    const url = this.urlFor(e);
    await withFileLock(
      `${zipPath}.lock`,
      async () => {
        if (await exists(zipPath)) return;
        const zipPart = `${zipPath}.part`;
        try {
          await downloadToPart(url, zipPart, { onProgress: opts.onProgress, signal: opts.signal, timeoutMs: opts.timeoutMs });
        } catch (err) {
          throw this.explain(err, e, url);
        }
        await rename(zipPart, zipPath);
        await rm(metaPath(zipPart), { force: true });
      },
      { signal: opts.signal, onWait: opts.onWait },
    );
    let bytes: Buffer;
    try {
      const f = await RandomAccessFile.open(zipPath);
      try {
        const dir = await ZipDirectory.read(f);
        const entry = dir.find(e.archive!.member);
        if (!entry) throw new WeightsError('corrupt', `${zipPath} has no member ${e.archive!.member}`);
        bytes = await dir.extract(entry);
      } finally {
        await f.close();
      }
    } catch (err) {
      await rm(zipPath, { force: true });
      const why = err instanceof Error ? err.message : String(err);
      throw new HubError('invalid-file', `${e.name}: the archive from ${url} is not usable (${why}); it was deleted, pull again to fetch it anew`, { cause: err });
    }
    const fh = await open(part, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  }

  private explain(err: unknown, e: HubEntry, url: string): Error {
    if (!(err instanceof HubError)) return err as Error;
    const via = this.mirror ? ` (mirror ${this.mirror} from AI_ART_HUB_MIRROR)` : '';
    if (err.code === 'network') {
      return new HubError(
        'network',
        `cannot download ${e.name} from ${url}${via}: ${err.message}. Without network access, ${this.byHand(e)} ` +
          `(or run \`ai-art models import FILE --as ${e.name}\`); ` +
          `behind a firewall, set AI_ART_HUB_MIRROR=http://host:port/ to fetch from a mirror.`,
        { cause: err },
      );
    }
    if (err.code === 'http')
      return new HubError('http', `cannot download ${e.name}${via}: ${err.message}`, { cause: err });
    return err;
  }

  /**
   * Checks a file against what is known of it (user hash, registry hash, the hash
   * recorded on first use) and that it is a checkpoint with the expected layout.
   * Remembers the result unless `record` is false. Returns the sha256.
   */
  private async verify(
    e: Entry,
    path: string,
    opts: { sha256?: string; digest?: string; record?: boolean } = {},
  ): Promise<string> {
    const st = await stat(path);
    const state = await this.readState();
    const memo = state.verified[path];
    const known = memo && memo.size === st.size && memo.mtimeMs === st.mtimeMs ? memo.sha256 : undefined;
    const digest = opts.digest ?? known ?? (await sha256File(path));
    const mismatch = (expected: string, why: string): never => {
      throw new HubError(
        'hash-mismatch',
        `${e.name}: ${path} has sha256 ${digest}, expected ${expected} (${why}). ` +
          (path.endsWith('.part')
            ? 'The download was discarded.'
            : `Delete the file and run \`ai-art models pull ${e.name}\`.`),
      );
    };
    if (opts.sha256) {
      const want = normalizeSha(opts.sha256);
      if (!digest.startsWith(want)) mismatch(want, 'the hash you gave');
    }
    if (!isLocal(e)) {
      if (e.sha256 && digest !== e.sha256) mismatch(e.sha256, 'registry');
      if (e.sha256Prefix && !digest.startsWith(e.sha256Prefix))
        mismatch(`${e.sha256Prefix}…`, `the hash in the published file name ${e.fileName}`);
    }
    const pin = state.pins[e.name];
    if (pin && pin !== digest)
      mismatch(
        pin,
        'recorded when this model was first downloaded or imported; if the publisher changed the file on purpose, forget the old hash (Hub.forget) and pull again',
      );
    if (!known) await this.checkStructure(e, path);
    if (opts.record !== false) await this.remember(e.name, path, digest);
    return digest;
  }

  private async checkStructure(e: Entry, path: string): Promise<void> {
    if (!isLocal(e) && e.format === 'onnx') return this.checkOnnx(e, path);
    let r: PthReader;
    try {
      r = await PthReader.open(path);
    } catch (err) {
      const why = err instanceof WeightsError ? err.message : String(err);
      throw new HubError('invalid-file', `${e.name}: ${path} is not a usable checkpoint: ${why}`, {
        cause: err,
      });
    }
    try {
      if (isLocal(e)) return;
      const sd = r.stateDict();
      const t = sd.get(e.probe.key);
      const ok =
        t !== undefined &&
        t.shape.length === e.probe.shape.length &&
        t.shape.every((d, i) => d === e.probe.shape[i]);
      if (!ok) {
        const got = t ? fmtShape(t.shape) : 'missing';
        throw new HubError(
          'invalid-file',
          `${e.name}: ${path} is not the expected network (${e.probe.key} ${fmtShape(e.probe.shape)} expected, ${got} found)`,
        );
      }
    } catch (err) {
      if (err instanceof HubError) throw err;
      throw new HubError(
        'invalid-file',
        `${e.name}: ${path} is not a usable checkpoint: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      await r.close();
    }
  }

  private async checkOnnx(e: HubEntry, path: string): Promise<void> {
    let ok = false;
    let got = 'missing';
    try {
      const info = inspectOnnx(await readFile(path), path);
      const input = info.inputs.find((v) => v.name === e.probe.key);
      if (input) got = `[${input.dims.join(', ')}]`;
      ok = input !== undefined && input.dims.length === e.probe.shape.length && input.dims.every((d, i) => d === e.probe.shape[i]);
    } catch (err) {
      throw new HubError('invalid-file', `${e.name}: ${path} is not a usable ONNX model: ${(err as Error).message}`, { cause: err });
    }
    if (!ok)
      throw new HubError('invalid-file', `${e.name}: ${path} is not the expected network (input ${e.probe.key} ${fmtShape(e.probe.shape)} expected, ${got} found)`);
  }

  /** Copies a file the user has into the cache under a registry name or a name of their own. */
  async importFile(file: string, opts: ImportOptions = {}): Promise<{ name: string; path: string }> {
    const src = resolvePath(file);
    if (!(await exists(src))) throw new HubError('io', `${file}: no such file`);
    const name = opts.as ?? this.guessName(src);
    const reg = this.findEntry(name);
    let entry: Entry;
    let target: string;
    if (reg) {
      entry = reg;
      target = this.cachePath(reg);
    } else {
      const local = name.startsWith('local/') ? name.slice(6) : name;
      if (!LOCAL_NAME.test(local))
        throw new HubError('unknown-model', `'${name}' is not a valid model name (letters, digits, _ . -)`);
      if (this.registry.some((r) => r.name.endsWith(`/${local}`))) this.lookup(local); // ambiguous registry name: throws with the choices
      entry = { name: `local/${local}`, local: true };
      target = this.localPath(local);
    }
    const digest = await sha256File(src);
    await this.verify(entry, src, { sha256: opts.sha256, digest, record: false });
    await mkdir(dirname(target), { recursive: true });
    if (src !== target) {
      const tmp = `${target}.import-${process.pid}`;
      try {
        await copyFile(src, tmp);
        if ((await sha256File(tmp)) !== digest)
          throw new HubError('io', `${file} changed while it was being copied`);
        await rename(tmp, target);
      } finally {
        await rm(tmp, { force: true });
      }
    }
    await this.remember(entry.name, target, digest);
    return { name: entry.name, path: target };
  }

  /** Registry name for a file name: vgg19-dcbb9e9d.pth, horse2zebra.pth, or the official scripts' NAME_pretrained/latest_net_G.pth. */
  private guessName(src: string): string {
    const byOwnName = this.registry.filter((r) => r.format === 'onnx' && r.fileName === basename(src));
    if (byOwnName.length === 1) return byOwnName[0].name;
    let stem = basename(src).replace(/\.pth$/i, '');
    if (/^latest_net_G(_A|_B)?$/.test(stem)) stem = basename(dirname(src)).replace(/_pretrained$/, '');
    const byFile = this.registry.filter((r) => r.fileName === `${stem}.pth`);
    if (byFile.length === 1) return byFile[0].name;
    if (byFile.length > 1) this.lookup(stem); // throws, listing the zoos that have it
    return stem;
  }

  /**
   * Drops what is remembered about a name (its first-use hash and checked files), for
   * when a publisher replaced a file on purpose. The files themselves stay.
   */
  async forget(name: string): Promise<void> {
    const e = await this.entryFor(name);
    await mkdir(this.dir, { recursive: true });
    await withFileLock(
      `${this.statePath()}.lock`,
      async () => {
        const s = await this.readState();
        delete s.pins[e.name];
        const paths = isLocal(e)
          ? [this.localPath(e.name.slice(6))]
          : [this.cachePath(e), ...(this.torchHubDir ? [join(this.torchHubDir, e.fileName)] : [])];
        for (const p of paths) delete s.verified[p];
        await this.writeState(s);
      },
      { staleMs: 10_000, pollMs: 20 },
    );
  }

  private async writeState(s: State): Promise<void> {
    const text = JSON.stringify(s, null, 1) + '\n';
    await writeFileAtomic(this.statePath(), async (out) => out.write(Buffer.from(text)));
  }

  private statePath(): string {
    return join(this.dir, 'state.json');
  }

  private async readState(): Promise<State> {
    try {
      const j = JSON.parse(await readFile(this.statePath(), 'utf8')) as Partial<State>;
      return { pins: j.pins ?? {}, verified: j.verified ?? {} };
    } catch {
      return { pins: {}, verified: {} };
    }
  }

  /** Records a checked file and, on first use of a name, its hash (trust on first use). */
  private async remember(name: string, path: string, sha256: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const st = await stat(path);
    await withFileLock(
      `${this.statePath()}.lock`,
      async () => {
        const s = await this.readState();
        s.pins[name] ??= sha256;
        s.verified[path] = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
        for (const p of Object.keys(s.verified)) if (p !== path && !(await exists(p))) delete s.verified[p];
        await this.writeState(s);
      },
      { staleMs: 10_000, pollMs: 20 },
    );
  }
}

/** A Hub configured from the environment (AI_ART_HOME, AI_ART_HUB_MIRROR, TORCH_HOME). */
export function defaultHub(): Hub {
  return new Hub();
}

/** `ai-art models list` */
export function listModels(): Promise<ModelInfo[]> {
  return defaultHub().list();
}

/** `ai-art models pull NAME` */
export function pullModel(name: string, opts: PullOptions = {}): Promise<PullResult> {
  return defaultHub().pull(name, opts);
}

/** `ai-art models import FILE [--as NAME]` */
export function importModel(file: string, opts: ImportOptions = {}): Promise<{ name: string; path: string }> {
  return defaultHub().importFile(file, opts);
}

/** `ai-art models path NAME` */
export function modelPath(name: string): Promise<string> {
  return defaultHub().resolve(name);
}
