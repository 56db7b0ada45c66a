/**
 * Training-loss logs: loss_log.jsonl (one JSON object per print, for programs), loss_log.txt
 * (the reference's text log, same lines as the console) and the reference's console line on
 * stderr: "(epoch: 1, iters: 100, time: 0.153, data: 0.002) D_A: 0.250 G_A: 0.810 ...".
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface LogEntry {
  epoch: number;
  /** Images seen in this epoch (the reference's epoch_iter). */
  iters: number;
  /** Seconds of computation per image. */
  t_comp: number;
  /** Seconds waiting for data per image. */
  t_data: number;
  losses: Record<string, number>;
  total_iters?: number;
  /** epoch + iters / dataset size: where the point goes on the loss plot. */
  progress?: number;
  lr?: number;
}

/** C-locale strftime("%c"), as the reference stamps its log: "Sat Nov 28 14:05:09 2025". */
export function cTime(d = new Date()): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** print_current_losses' message. */
export function formatLossLine(e: LogEntry): string {
  let msg = `(epoch: ${e.epoch}, iters: ${e.iters}, time: ${e.t_comp.toFixed(3)}, data: ${e.t_data.toFixed(3)}) `;
  for (const [k, v] of Object.entries(e.losses)) msg += `${k}: ${v.toFixed(3)} `;
  return msg;
}

export interface LossLogOptions {
  /** Where the console line goes; false for nowhere. Default: stderr. */
  echo?: ((line: string) => void) | false;
}

export class LossLog {
  readonly jsonl: string;
  readonly txt: string;
  readonly entries: LogEntry[] = [];
  private readonly echo: ((line: string) => void) | false;

  private constructor(dir: string, opts: LossLogOptions) {
    this.jsonl = path.join(dir, 'loss_log.jsonl');
    this.txt = path.join(dir, 'loss_log.txt');
    this.echo = opts.echo ?? ((l) => process.stderr.write(`${l}\n`));
  }

  /**
   * Opens the logs in the experiment folder for appending (a resumed run continues them) and
   * stamps loss_log.txt as the reference does. Earlier JSONL entries are read back for the plot.
   */
  static async open(dir: string, opts: LossLogOptions = {}): Promise<LossLog> {
    await mkdir(dir, { recursive: true });
    const log = new LossLog(dir, opts);
    try {
      const text = await readFile(log.jsonl, 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          log.entries.push(fromJson(JSON.parse(line) as Record<string, unknown>));
        } catch {
          // a line cut short by a crash; the rest of the log is still good
        }
      }
    } catch {
      // no earlier log
    }
    await appendFile(log.txt, `================ Training Loss (${cTime()}) ================\n`);
    return log;
  }

  /** print_current_losses: console line, text log, and one JSON line. Returns the console line. */
  async print(e: LogEntry): Promise<string> {
    const line = formatLossLine(e);
    if (this.echo) this.echo(line);
    this.entries.push(e);
    await appendFile(this.txt, `${line}\n`);
    await appendFile(this.jsonl, `${JSON.stringify(toJson(e))}\n`);
    return line;
  }
}

/** Flat JSON: epoch, iters, t_comp, t_data, then each named loss; extras when known. */
function toJson(e: LogEntry): Record<string, number | string> {
  const o: Record<string, number | string> = { epoch: e.epoch, iters: e.iters };
  if (e.total_iters !== undefined) o.total_iters = e.total_iters;
  if (e.progress !== undefined) o.progress = e.progress;
  o.t_comp = e.t_comp;
  o.t_data = e.t_data;
  if (e.lr !== undefined) o.lr = e.lr;
  for (const [k, v] of Object.entries(e.losses)) o[k] = Number.isFinite(v) ? v : String(v);
  o.time = new Date().toISOString();
  return o;
}

const META = new Set(['epoch', 'iters', 'total_iters', 'progress', 't_comp', 't_data', 'lr', 'time']);

function fromJson(o: Record<string, unknown>): LogEntry {
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (!META.has(k)) losses[k] = typeof v === 'number' ? v : Number(v);
  const e: LogEntry = {
    epoch: Number(o.epoch),
    iters: Number(o.iters),
    t_comp: Number(o.t_comp),
    t_data: Number(o.t_data),
    losses,
  };
  if (typeof o.total_iters === 'number') e.total_iters = o.total_iters;
  if (typeof o.progress === 'number') e.progress = o.progress;
  if (typeof o.lr === 'number') e.lr = o.lr;
  return e;
}
