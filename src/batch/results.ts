/**
 * The results page, OUT/index.html: each style task as a grid (contents down, styles across),
 * the other tasks as input → output rows; failed jobs show their error in place of the picture.
 */
import path from 'node:path';
import { writeFileAtomic } from '../images/save.js';
import { addPngText, blankRaw, contactSheetPng, optionsStamp } from '../images/index.js';
import { escapeHtml } from '../gan/report/html.js';
import type { JobSpec, TaskLayout } from './expand.js';

export type CellState = 'done' | 'failed' | 'pending';

export interface JobOutcome {
  spec: JobSpec;
  state: CellState;
  error?: string;
}

export interface ResultsInput {
  title: string;
  output: string;
  layout: TaskLayout[];
  jobs: JobOutcome[];
}

function href(from: string, file: string): string {
  return path.relative(from, file).split(path.sep).map(encodeURIComponent).join('/');
}

function cell(out: string, o: JobOutcome | undefined, width: number): string {
  if (!o) return '<td class="none">—</td>';
  if (o.state === 'failed') return `<td class="failed"><b>failed</b><br><code>${escapeHtml(o.error ?? 'unknown error')}</code></td>`;
  if (o.state === 'pending') return '<td class="pending">pending</td>';
  const src = href(out, o.spec.output);
  const tag = /\.mp4$/.test(o.spec.output)
    ? `<video src="${src}" controls style="width:${width}px"></video>`
    : `<a href="${src}"><img src="${src}" alt="${escapeHtml(path.basename(o.spec.output))}" style="width:${width}px"></a>`;
  return `<td>${tag}</td>`;
}

/** The PNG contact sheet of style task `task` (index from 0), beside the page. */
export function sheetFile(output: string, task: number): string {
  return path.join(output, `sheet-task${task + 1}.png`);
}

export function renderResults(r: ResultsInput, width = 192, sheets: ReadonlySet<number> = new Set()): string {
  const out = r.output;
  const sections: string[] = [];
  r.layout.forEach((t, task) => {
    // A video's chunks are steps towards its assembly, which stands for it on the page.
    const mine = r.jobs.filter((j) => j.spec.task === task && j.spec.kind !== 'chunk');
    const counts = { done: 0, failed: 0, pending: 0 };
    for (const j of mine) counts[j.state]++;
    const head = `<h3>task ${task + 1}: ${t.kind} — ${counts.done} done, ${counts.failed} failed${counts.pending ? `, ${counts.pending} pending` : ''}</h3>`;
    if (t.kind === 'style') {
      const at = new Map(mine.map((j) => [j.spec.kind === 'style' ? `${j.spec.row},${j.spec.col}` : '', j]));
      const ref = (row: number, col: number) => at.get(`${row},${col}`);
      const styleFile = (col: number) => mine.find((j) => j.spec.kind === 'style' && j.spec.col === col)?.spec;
      const contentFile = (row: number) => mine.find((j) => j.spec.kind === 'style' && j.spec.row === row)?.spec;
      const thumb = (file: string | undefined, label: string) =>
        file ? `<img src="${href(out, file)}" alt="${escapeHtml(label)}" style="width:${width / 2}px"><br>${escapeHtml(label)}` : escapeHtml(label);
      const header = t.cols.map((label, col) => {
        const s = styleFile(col);
        return `<th>${thumb(s?.kind === 'style' ? s.style : undefined, label)}</th>`;
      });
      const rows = t.rows.map((label, row) => {
        const c = contentFile(row);
        const cells = t.cols.map((_, col) => cell(out, ref(row, col), width));
        return `<tr><th>${thumb(c?.kind === 'style' ? c.content : undefined, label)}</th>${cells.join('')}</tr>`;
      });
      const sheet = sheets.has(task) ? `<p><a href="${href(out, sheetFile(out, task))}">the grid as one picture</a></p>\n` : '';
      sections.push(`${head}\n${sheet}<table class="grid"><tr><th>content \\ style</th>${header.join('')}</tr>\n${rows.join('\n')}\n</table>`);
    } else {
      const rows = mine.map((j) => {
        const input = j.spec.kind === 'style' ? '' : j.spec.input;
        return `<tr><th>${escapeHtml(path.basename(input))}</th>${cell(out, j, width)}</tr>`;
      });
      sections.push(`${head}\n<p>model: <code>${escapeHtml(t.cols[0] ?? '')}</code></p>\n<table class="grid">\n${rows.join('\n')}\n</table>`);
    }
  });
  return (
    `<!DOCTYPE html>\n<html>\n<head>\n  <meta charset="utf-8">\n  <title>${escapeHtml(r.title)}</title>\n` +
    '  <style>body { font-family: sans-serif; margin: 1em; } table.grid { border-collapse: collapse; } ' +
    'td, th { border: 1px solid #ccc; padding: 4px; text-align: center; vertical-align: top; font-weight: normal; font-size: 90%; } ' +
    'td.failed { background: #fde8e8; color: #900; max-width: 16em; } td.failed code { white-space: pre-wrap; font-size: 85%; } td.pending { color: #888; }</style>\n' +
    `</head>\n<body>\n<h2>${escapeHtml(r.title)}</h2>\n${sections.join('\n')}\n</body>\n</html>\n`
  );
}

/**
 * Each finished style grid also as one PNG (contents down, styles across; a failed cell blank
 * and labelled). Returns the tasks that have one.
 */
async function writeSheets(r: ResultsInput): Promise<Set<number>> {
  const made = new Set<number>();
  for (const [task, t] of r.layout.entries()) {
    if (t.kind !== 'style') continue;
    const at = new Map<string, JobOutcome>();
    for (const j of r.jobs) if (j.spec.kind === 'style' && j.spec.task === task) at.set(`${j.spec.row},${j.spec.col}`, j);
    const cells = t.rows.flatMap((row, i) => t.cols.map((col, k) => ({ o: at.get(`${i},${k}`), label: `${row} x ${col}` })));
    if (cells.some((c) => !c.o || c.o.state === 'pending')) continue;
    const items = cells.map(({ o, label }) =>
      o!.state === 'done' ? { image: o!.spec.output, label } : { image: blankRaw(64, 64, 0.85), label: `failed: ${label}` },
    );
    try {
      const sheet = await contactSheetPng(items, { columns: t.cols.length, cellSize: 192 });
      const stamp = optionsStamp('batch', { task, rows: t.rows, cols: t.cols });
      await writeFileAtomic(sheetFile(r.output, task), addPngText(sheet, stamp), { mkdirs: true });
      made.add(task);
    } catch {
      // An output that cannot be read (replaced by hand, a full disk) costs the sheet, not the page.
    }
  }
  return made;
}

/** Writes OUT/index.html (and the grids' PNG sheets) atomically and returns the page's path. */
export async function writeResults(r: ResultsInput): Promise<string> {
  const sheets = await writeSheets(r);
  const file = path.join(r.output, 'index.html');
  await writeFileAtomic(file, Buffer.from(renderResults(r, 192, sheets), 'utf8'), { mkdirs: true });
  return file;
}
