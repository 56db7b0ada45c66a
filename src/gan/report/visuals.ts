/**
 * Sample images: the training page web/index.html (the reference's Visualizer with HTML on,
 * images named epoch%.3d_[label].png) and the test page results/[name]/[phase]_[epoch]/index.html
 * (the reference's save_images), plus the loss curve.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { lossPlot } from '../../images/plot.js';
import { toRaw } from '../../images/raw.js';
import { resampleU8 } from '../../images/resample.js';
import { addPngText } from '../../images/pngtext.js';
import { saveImage, writeFileAtomic } from '../../images/save.js';
import { HtmlPage } from './html.js';
import type { LogEntry } from './log.js';

/** A batch of images in [-1, 1], [N, C, H, W] with C 1 or 3. */
export interface VisualTensor {
  data: Float32Array;
  shape: readonly number[];
}

export type Visuals = Record<string, VisualTensor>;

/**
 * The reference's tensor2im: image `index` of the batch, grey tiled to RGB,
 * ((x + 1) / 2 * 255) in float32 truncated to uint8 (not rounded). HWC bytes.
 */
export function tensorToImage(
  t: VisualTensor,
  index = 0,
): { width: number; height: number; data: Uint8Array } {
  const [n, c, h, w] = t.shape;
  if (t.shape.length !== 4 || (c !== 1 && c !== 3) || t.data.length !== n * c * h * w) {
    throw new RangeError(
      `tensorToImage: need [N,1|3,H,W] matching ${t.data.length} values, got [${t.shape.join(',')}]`,
    );
  }
  if (!(index >= 0 && index < n)) throw new RangeError(`tensorToImage: image ${index} of a batch of ${n}`);
  const plane = h * w;
  const base = index * c * plane;
  const out = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < 3; k++) {
      const x = t.data[base + (c === 1 ? 0 : k) * plane + i];
      const v = Math.trunc(Math.fround(Math.fround(Math.fround(x + 1) / 2) * 255));
      // NaN and out-of-range values would wrap in numpy's cast; clamp so a diverged run still saves.
      out[3 * i + k] = v > 255 ? 255 : v > 0 ? v : 0;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * util.save_image: a PNG, stretched by aspect_ratio as the reference does (it swaps width and
 * height in the new size, which is only exact for square pictures: kept for identical output).
 */
export async function saveTensorImage(
  t: VisualTensor,
  file: string,
  aspectRatio = 1,
  index = 0,
  text?: Record<string, string>,
): Promise<void> {
  let img = tensorToImage(t, index);
  const { width: w, height: h } = img;
  let size: [number, number] | null = null;
  if (aspectRatio > 1) size = [h, Math.trunc(w * aspectRatio)];
  if (aspectRatio < 1) size = [Math.trunc(h / aspectRatio), w];
  if (size && (size[0] !== w || size[1] !== h)) {
    img = {
      width: size[0],
      height: size[1],
      data: resampleU8(img.data, w, h, 3, size[0], size[1], 'bicubic'),
    };
  }
  await saveImage(toRaw(img.data, img.width, img.height, 3), file, { mkdirs: true, text });
}

export function epochImageName(epoch: number, label: string): string {
  return `epoch${String(epoch).padStart(3, '0')}_${label}.png`;
}

export interface TrainingWebOptions {
  checkpoints_dir: string;
  name: string;
  display_winsize: number;
  no_html: boolean;
}

/** The training page, regenerated from the images on disk so a resumed run keeps earlier epochs. */
export class TrainingWeb {
  readonly webDir: string;
  readonly imgDir: string;
  private saved = false;
  private labels: string[] = [];

  /** `text`: PNG tEXt chunks every picture written gets (the run's optionsStamp). */
  constructor(
    private readonly opt: TrainingWebOptions,
    private readonly text?: Record<string, string>,
  ) {
    this.webDir = path.join(opt.checkpoints_dir, opt.name, 'web');
    this.imgDir = path.join(this.webDir, 'images');
  }

  get enabled(): boolean {
    return !this.opt.no_html;
  }

  /** Start of an epoch: its first display is always saved. */
  reset(): void {
    this.saved = false;
  }

  /**
   * display_current_results: saves the visuals as this epoch's images when `saveResult` (the
   * reference: total_iters % update_html_freq == 0) or nothing was saved yet this epoch, then
   * rewrites the page. Returns whether anything was written.
   */
  async displayCurrentResults(
    visuals: Visuals,
    epoch: number,
    saveResult: boolean,
    log?: readonly LogEntry[],
  ): Promise<boolean> {
    if (!this.enabled || !(saveResult || !this.saved)) return false;
    this.saved = true;
    this.labels = Object.keys(visuals);
    for (const [label, t] of Object.entries(visuals))
      await saveTensorImage(t, path.join(this.imgDir, epochImageName(epoch, label)), 1, 0, this.text);
    if (log && log.length) await this.writeLossPlot(log);
    await this.writePage();
    return true;
  }

  /** web/loss.png and web/loss.svg: every logged loss against epoch (fractional within an epoch). */
  async writeLossPlot(log: readonly LogEntry[]): Promise<void> {
    const names = [...new Set(log.flatMap((e) => Object.keys(e.losses)))];
    const x = log.map((e) => e.progress ?? e.epoch);
    const series = names.map((name) => ({ name, values: log.map((e) => e.losses[name] ?? NaN), x }));
    const { svg, png } = await lossPlot(series, {
      title: `${this.opt.name} loss over time`,
      xLabel: 'epoch',
      yLabel: 'loss',
    });
    await writeFileAtomic(path.join(this.webDir, 'loss.png'), this.text ? addPngText(png, this.text) : png, { mkdirs: true });
    await writeFileAtomic(path.join(this.webDir, 'loss.svg'), Buffer.from(svg, 'utf8'), { mkdirs: true });
  }

  /** Rewrites index.html: the loss curve, then each epoch with images on disk, newest first. */
  async writePage(): Promise<string> {
    const page = new HtmlPage(this.webDir, `Experiment name = ${this.opt.name}`);
    let files: string[] = [];
    try {
      files = await readdir(this.imgDir);
    } catch {
      // no images yet
    }
    let hasPlot = false;
    try {
      hasPlot = (await readdir(this.webDir)).includes('loss.png');
    } catch {
      // no folder yet
    }
    if (hasPlot) page.addFigure('loss.png', 'loss curves', Math.max(600, this.opt.display_winsize * 2));
    const byEpoch = new Map<number, Map<string, string>>();
    for (const f of files) {
      const m = /^epoch(\d{3,})_(.+)\.png$/.exec(f);
      if (!m) continue;
      const e = Number(m[1]);
      if (!byEpoch.has(e)) byEpoch.set(e, new Map());
      (byEpoch.get(e) as Map<string, string>).set(m[2], f);
    }
    for (const e of [...byEpoch.keys()].sort((a, b) => b - a)) {
      const have = byEpoch.get(e) as Map<string, string>;
      // The current visual order first, then anything else an earlier run saved.
      const labels = [
        ...this.labels.filter((l) => have.has(l)),
        ...[...have.keys()].filter((l) => !this.labels.includes(l)).sort(),
      ];
      page.addHeader(`epoch [${e}]`);
      page.addImages(
        labels.map((l) => ({ src: have.get(l) as string, caption: l })),
        this.opt.display_winsize,
      );
    }
    if (byEpoch.size === 0) page.addParagraph('No sample images yet.');
    return page.save();
  }
}

export interface TestPageOptions {
  results_dir: string;
  name: string;
  phase: string;
  epoch: string;
  load_iter: number;
  aspect_ratio: number;
  display_winsize: number;
}

/** The folder test.py writes to: [results_dir]/[name]/[phase]_[epoch][_iter[load_iter]]. */
export function testWebDir(
  opt: Pick<TestPageOptions, 'results_dir' | 'name' | 'phase' | 'epoch' | 'load_iter'>,
): string {
  const dir = path.join(opt.results_dir, opt.name, `${opt.phase}_${opt.epoch}`);
  return opt.load_iter > 0 ? `${dir}_iter${opt.load_iter}` : dir;
}

/** The test-results page: one header per input picture and a row of its visuals (real_A, fake_B, ...). */
export class TestResults {
  readonly page: HtmlPage;
  readonly count: { images: number } = { images: 0 };

  constructor(
    private readonly opt: TestPageOptions,
    private readonly text?: Record<string, string>,
  ) {
    this.page = new HtmlPage(
      testWebDir(opt),
      `Experiment = ${opt.name}, Phase = ${opt.phase}, Epoch = ${opt.epoch}`,
    );
  }

  get webDir(): string {
    return this.page.webDir;
  }

  /** save_images: [image name]_[label].png for each visual, and a row on the page. Returns the files. */
  async saveImages(visuals: Visuals, imagePath: string): Promise<string[]> {
    const name = path.basename(imagePath).replace(/\.[^.]*$/, '');
    this.page.addHeader(name);
    const cells = [];
    const files = [];
    for (const [label, t] of Object.entries(visuals)) {
      const file = `${name}_${label}.png`;
      await saveTensorImage(t, path.join(this.page.imgDir, file), this.opt.aspect_ratio, 0, this.text);
      cells.push({ src: file, caption: label });
      files.push(path.join(this.page.imgDir, file));
    }
    this.page.addImages(cells, this.opt.display_winsize);
    this.count.images++;
    return files;
  }

  save(): Promise<string> {
    return this.page.save();
  }
}
