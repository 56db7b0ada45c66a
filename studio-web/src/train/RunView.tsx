/**
 * One training run as the dashboard shows it: status, progress and ETA (computed by the
 * server from the loss log: src/studio/run_progress.ts), loss curves, the latest samples,
 * and Stop / Resume for runs the studio trains. Refreshed every 2 s.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, fmtSeconds } from '../api.js';
import type { RunPoint, RunSummary } from '../../../src/studio/types.js';
import { PALETTE } from '../../../src/images/palette.js';
import { Chart, Status } from '../widgets.js';

export type { RunSummary };
export interface RunDetail extends Omit<RunSummary, 'entries'> {
  entries: RunPoint[];
  images: string[];
  options: Record<string, unknown> | null;
  notices: string[];
  error: string | null;
}


export const STATUS_LABEL: Record<RunSummary['status'], string> = {
  queued: 'queued',
  training: 'training',
  stopped: 'stopped',
  finished: 'finished',
  failed: 'failed',
};

/** "epoch 34 / 400 · 33.50 epochs done (8.4 %) · ETA 12 min": every figure from the same logged point. */
export function progressText(r: Pick<RunSummary, 'progress' | 'status'>): string {
  const p = r.progress;
  if (!p) return 'no loss points yet';
  const parts: string[] = [];
  if (p.unit === 'step')
    parts.push(`step ${p.done}${p.total !== null ? ` / ${p.total}` : ''}`, `epoch ${p.epoch}`);
  else
    parts.push(
      `epoch ${p.epoch}${p.epochs !== null ? ` / ${p.epochs}` : ''}`,
      `${p.done.toFixed(2)} epochs done`,
    );
  if (p.total) parts.push(`${((100 * p.done) / p.total).toFixed(1)} %`);
  parts.push(`ETA ${r.status === 'training' && p.secondsLeft !== null ? fmtSeconds(p.secondsLeft) : '—'}`);
  return parts.join(' · ');
}

export function RunView({ runKey, onChange }: { runKey: string; onChange?: (d: RunDetail) => void }) {
  const [d, setD] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () =>
    api.get<RunDetail>(`/api/runs/${runKey}`).then(
      (x) => {
        setD(x);
        setError(null);
        onChange?.(x);
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    setD(null);
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, [runKey]);

  const byStep = d?.kind === 'fast';
  const keys = useMemo(
    () => [...new Set((d?.entries ?? []).flatMap((e) => Object.keys(e.losses)))],
    [d?.entries.length, d?.name],
  );
  const data = useMemo(() => {
    const es = d?.entries ?? [];
    return [
      es.map((e) => (byStep ? (e.step ?? e.x) : e.x)),
      ...keys.map((k) => es.map((e) => e.losses[k] ?? NaN)),
    ];
  }, [d, keys]);
  const act = async (what: 'stop' | 'resume') => {
    setBusy(true);
    try {
      await api.post(`/api/runs/${runKey}/${what}`);
      await load();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!d) return <Status text={error ?? 'loading…'} kind={error ? 'error' : 'info'} />;
  const pct = d.progress?.total ? Math.min(100, (100 * d.progress.done) / d.progress.total) : null;
  return (
    <div class="run-detail" data-testid="run-detail" data-status={d.status}>
      <div class="run-head">
        <strong>{d.name}</strong>
        <span class={`badge ${d.status}`} data-testid="run-status">
          {STATUS_LABEL[d.status]}
        </span>
        <span class="muted">
          {d.job ? `${d.job.kind} · started in the studio` : 'started from the CLI (watch only)'}
        </span>
        <span class="actions">
          <button
            type="button"
            data-testid="run-stop"
            disabled={!d.canStop || busy}
            onClick={() => void act('stop')}
          >
            Stop
          </button>
          <button
            type="button"
            data-testid="run-resume"
            disabled={!d.canResume || busy}
            onClick={() => void act('resume')}
          >
            Resume
          </button>
        </span>
      </div>
      {pct !== null && <progress max={100} value={pct} />}
      <div data-testid="run-progress">
        {progressText(d)}
        {d.progress?.rate
          ? ` · ${d.progress.unit === 'step' ? `${d.progress.rate.toFixed(2)} steps/s` : `${(3600 * d.progress.rate).toFixed(1)} epochs/h`}`
          : ''}
      </div>
      <Status text={error ?? d.error} kind="error" />
      {d.notices.length > 0 && (
        <details class="notices">
          <summary>{d.notices.length} notice(s)</summary>
          {d.notices.map((n) => (
            <div>{n}</div>
          ))}
        </details>
      )}
      <Chart
        series={keys.map((k, i) => ({ label: k, color: PALETTE[i % PALETTE.length] }))}
        data={data}
        xLabel={byStep ? 'step' : 'epoch'}
        log={false}
      />
      <div class="samples">
        {d.images.slice(0, byStep ? 4 : 12).map((f) => (
          <figure>
            <img src={`/api/runs/${runKey}/images/${f}?v=${d.entries.length}`} alt={f} />
            <figcaption>{f}</figcaption>
          </figure>
        ))}
      </div>
    </div>
  );
}
