/**
 * Training dashboard: runs of `cyclegan train`, `pix2pix train` and `fast train`, started here
 * or from the CLI in the studio's run folders, each with its status; the selected one shows
 * loss curves, the latest samples, progress and ETA, Stop and Resume (train/RunView.tsx).
 * New runs start from a form generated from the command's schema (train/TrainForm.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { TrainKind } from '../../../src/studio/types.js';
import { RunView, STATUS_LABEL, type RunDetail, type RunSummary } from '../train/RunView.js';
import { TrainForm } from '../train/TrainForm.js';
import { Status } from '../widgets.js';
import { navigate, useRoute } from '../router.js';

const KINDS: [TrainKind, string][] = [
  ['cyclegan-train', 'CycleGAN (unpaired trainA/, trainB/)'],
  ['pix2pix-train', 'pix2pix (A|B pairs in train/)'],
  ['fast-train', 'fast style (any pictures, one style picture)'],
];

export function DashboardPage() {
  const route = useRoute();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [kind, setKind] = useState<TrainKind>('cyclegan-train');
  const sel = route.params.get('run');
  // The selected run's button shows the same load as its detail, so the two never disagree.
  const [detail, setDetail] = useState<RunDetail | null>(null);
  useEffect(() => {
    const load = () => api.get<RunSummary[]>('/api/runs').then(setRuns, (e: Error) => setError(e.message));
    void load();
    const t = setInterval(() => void load(), 3000);
    return () => clearInterval(t);
  }, []);

  return (
    <div class="page dashboard-page">
      <h2>Training dashboard</h2>
      <Status text={error} kind="error" />
      <div class="runs" data-testid="runs">
        {runs.length === 0 && (
          <div class="placeholder">
            No runs yet: start one below, or point the studio at CLI runs with ai-art studio --runs DIR
            (default ./checkpoints).
          </div>
        )}
        {runs.map((listed) => {
          const r =
            detail && sel === `${listed.root}/${listed.name}` && detail.name === listed.name
              ? {
                  ...listed,
                  status: detail.status,
                  progress: detail.progress,
                  entries: detail.entries.length,
                }
              : listed;
          return (
            <button
              type="button"
              class={sel === `${r.root}/${r.name}` ? 'on' : ''}
              data-testid="run"
              data-status={r.status}
              onClick={() => navigate(`/dashboard?run=${r.root}/${r.name}`)}
            >
              {r.name} · <span class={`badge ${r.status}`}>{STATUS_LABEL[r.status]}</span> · {r.entries}{' '}
              points
              {r.progress?.epoch
                ? ` · epoch ${r.progress.epoch}${r.progress.epochs ? ` / ${r.progress.epochs}` : ''}`
                : ''}
            </button>
          );
        })}
      </div>
      {sel && <RunView runKey={sel} onChange={setDetail} />}
      <details class="new-run" open={runs.length === 0}>
        <summary>New training run</summary>
        <label>
          trainer{' '}
          <select
            data-testid="train-kind"
            value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as TrainKind)}
          >
            {KINDS.map(([k, label]) => (
              <option value={k}>{label}</option>
            ))}
          </select>
        </label>
        <TrainForm
          kind={kind}
          onStarted={(job) => job.run && navigate(`/dashboard?run=${job.run.root}/${job.run.name}`)}
        />
      </details>
    </div>
  );
}
