/**
 * A progress bar on stderr: redrawn in place on a terminal, a plain line every few
 * percent otherwise (logs, CI), silent with --quiet or --json.
 */
export interface ProgressBar {
  update(done: number, fields?: Record<string, string>): void;
  log(msg: string): void;
  done(msg?: string): void;
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function progressBar(total: number, label: string, opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const start = Date.now();
  let lastPct = -1;
  let lastLen = 0;
  const render = (done: number, fields: Record<string, string>): string => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - start) / 1000;
    const eta = done > 0 ? (elapsed * (total - done)) / done : NaN;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${fmtDuration(elapsed)}<${fmtDuration(eta)}  ${extra}`;
  };
  return {
    update(done, fields = {}) {
      if (opts.quiet) return;
      const line = render(done, fields);
      if (tty) {
        stream.write(`\r${line.padEnd(lastLen)}`);
        lastLen = line.length;
      } else {
        const pct = Math.floor((done / Math.max(1, total)) * 10);
        if (pct !== lastPct) {
          lastPct = pct;
          stream.write(`${line}\n`);
        }
      }
    },
    log(msg) {
      if (opts.quiet) return;
      if (tty && lastLen) stream.write(`\r${' '.repeat(lastLen)}\r`);
      stream.write(`${msg}\n`);
      lastLen = 0;
    },
    done(msg) {
      if (opts.quiet) return;
      if (tty && lastLen) stream.write('\n');
      if (msg) stream.write(`${msg}\n`);
      lastLen = 0;
    },
  };
}

export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(3) : v.toPrecision(4);
}

/** SIGINT once: say `first` and abort (the caller finishes its step and saves); twice: leave at once. */
export function onInterrupt(controller: AbortController, say: (m: string) => void, first: string): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) {
      say(first);
      controller.abort();
    } else {
      process.stderr.write('\nstopped at once; the last checkpoint on disk is intact\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}
