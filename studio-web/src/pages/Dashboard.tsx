/**
 * Training dashboard: runs of `cyclegan train`, `pix2pix train` and `fast train` found in the
 * studio's run folders (their loss_log.jsonl, train_opt.json and web/images), refreshed
 * while they train: loss curves, the latest samples, progress and ETA.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, fmtSeconds } from '../api.js';
import { Chart, Status } from '../widgets.js';
import { navigate, useRoute } from '../router.js';

interface LogEntry {
  x: number;
  epoch: number;
  losses: Record<string, number>;
  secondsPerImage?: number;
}
interface RunSummary {
  root: number;
  name: string;
  folder: string;
  entries: number;
  last: LogEntry | null;
  updated: number;
}
interface RunDetail {
  name: string;
  entries: LogEntry[];
  images: string[];
  options: Record<string, unknown> | null;
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Epochs planned (n_epochs + n_epochs_decay) and the pace of the last logged points give the ETA. */
function eta(d: RunDetail): { done: number; total: number; seconds: number } | null {
  const es = d.entries;
  const last = es.at(-1);
  const o = d.options ?? {};
  const total = Number(o.n_epochs ?? NaN) + Number(o.n_epochs_decay ?? 0);
  if (!last || !Number.isFinite(total)) return null;
  const start = Number(o.epoch_count ?? 1) - 1;
  // Seconds per epoch from the images' compute time: the epoch fraction one point covers.
  const prev = es.at(-2);
  const step = prev ? last.x - prev.x : NaN;
  const perEpoch = step > 0 && last.secondsPerImage ? last.secondsPerImage / step : NaN;
  return { done: last.x - start, total, seconds: Math.max(0, start + total - last.x) * perEpoch };
}

export function DashboardPage() {
  const route = useRoute();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const sel = route.params.get('run');
  useEffect(() => {
    const load = () => api.get<RunSummary[]>('/api/runs').then(setRuns, (e: Error) => setError(e.message));
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (!sel) return setDetail(null);
    const load = () => api.get<RunDetail>(`/api/runs/${sel}`).then(setDetail, (e: Error) => setError(e.message));
    void load();
    const t = setInterval(() => void load(), 2000);
    return () => clearInterval(t);
  }, [sel]);

  const keys = useMemo(() => [...new Set((detail?.entries ?? []).flatMap((e) => Object.keys(e.losses)))], [detail?.entries.length, detail?.name]);
  const data = useMemo(() => {
    const es = detail?.entries ?? [];
    return [es.map((e) => e.x), ...keys.map((k) => es.map((e) => e.losses[k] ?? NaN))];
  }, [detail, keys]);
  const e = detail ? eta(detail) : null;

  return (
    <div class="page dashboard-page">
      <h2>Training dashboard</h2>
      <Status text={error} kind="error" />
      <div class="runs" data-testid="runs">
        {runs.length === 0 && <div class="placeholder">No runs yet in the studio's run folders (ai-art studio --runs DIR; default ./checkpoints).</div>}
        {runs.map((r) => (
          <button type="button" class={sel === `${r.root}/${r.name}` ? 'on' : ''} data-testid="run" onClick={() => navigate(`/dashboard?run=${r.root}/${r.name}`)}>
            {r.name} · {r.entries} points{r.last ? ` · epoch ${r.last.epoch}` : ''}
          </button>
        ))}
      </div>
      {detail && (
        <div class="run-detail">
          <div data-testid="run-progress">
            {e ? `epoch progress ${e.done.toFixed(2)} / ${e.total} · ETA ${fmtSeconds(e.seconds)}` : `${detail.entries.length} log points`}
            {detail.entries.at(-1)?.secondsPerImage ? ` · ${(1 / detail.entries.at(-1)!.secondsPerImage!).toFixed(2)} images/s` : ''}
          </div>
          <Chart series={keys.map((k, i) => ({ label: k, color: COLORS[i % COLORS.length] }))} data={data} xLabel="epoch" log={false} />
          <div class="samples">
            {detail.images.slice(0, 12).map((f) => (
              <figure>
                <img src={`/api/runs/${sel}/images/${f}?v=${detail.entries.length}`} alt={f} />
                <figcaption>{f}</figcaption>
              </figure>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
