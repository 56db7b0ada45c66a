/**
 * The reference's util/html.py page (a title, then headers and rows of linked images), written
 * as plain hand-readable HTML with no script.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../images/save.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A relative URL for a file name (spaces and '#' in image names must not break links). */
function href(rel: string): string {
  return rel.split('/').map(encodeURIComponent).join('/');
}

export interface ImageCell {
  /** Path relative to the images folder. */
  src: string;
  caption: string;
  /** Defaults to src. */
  link?: string;
}

export class HtmlPage {
  readonly imgDir: string;
  private readonly body: string[] = [];

  constructor(
    readonly webDir: string,
    readonly title: string,
    /** Seconds between automatic reloads; 0 for none. */
    readonly refresh = 0,
  ) {
    this.imgDir = path.join(webDir, 'images');
  }

  async ensureDirs(): Promise<void> {
    await mkdir(this.imgDir, { recursive: true });
  }

  addHeader(text: string): void {
    this.body.push(`<h3>${escapeHtml(text)}</h3>`);
  }

  addParagraph(html: string): void {
    this.body.push(`<p>${html}</p>`);
  }

  /** A figure outside the images table (the loss curve). */
  addFigure(src: string, alt: string, width: number): void {
    this.body.push(
      `<p><a href="${href(src)}"><img src="${href(src)}" alt="${escapeHtml(alt)}" style="width:${width}px"></a></p>`,
    );
  }

  /** One table row of images with captions, as HTML.add_images. */
  addImages(cells: ImageCell[], width = 400): void {
    const tds = cells.map((c) => {
      const src = href(`images/${c.src}`);
      const link = href(`images/${c.link ?? c.src}`);
      return (
        `    <td style="word-wrap: break-word;" valign="top" align="center">\n` +
        `      <a href="${link}"><img src="${src}" alt="${escapeHtml(c.caption)}" style="width:${width}px"></a><br>\n` +
        `      <span>${escapeHtml(c.caption)}</span>\n` +
        `    </td>`
      );
    });
    this.body.push(
      `<table border="1" style="table-layout: fixed;">\n  <tr>\n${tds.join('\n')}\n  </tr>\n</table>`,
    );
  }

  render(): string {
    const refresh = this.refresh > 0 ? `\n  <meta http-equiv="refresh" content="${this.refresh}">` : '';
    return (
      `<!DOCTYPE html>\n<html>\n<head>\n  <meta charset="utf-8">${refresh}\n  <title>${escapeHtml(this.title)}</title>\n` +
      `  <style>body { font-family: sans-serif; margin: 1em; } td span { font-size: 90%; } h3 { margin: 1.2em 0 0.4em; }</style>\n` +
      `</head>\n<body>\n<h2>${escapeHtml(this.title)}</h2>\n${this.body.join('\n')}\n</body>\n</html>\n`
    );
  }

  /** Writes [webDir]/index.html atomically (a browser reloading it never sees half a page). */
  async save(): Promise<string> {
    const file = path.join(this.webDir, 'index.html');
    await writeFileAtomic(file, Buffer.from(this.render(), 'utf8'), { mkdirs: true });
    return file;
  }
}
