/** Gallery and history: every job with the options that made it; reproduce, edit, export as a CLI command. */
import { useEffect, useState } from 'preact/hooks';
import { FINISHED, api, fileUrl, type JobRecord } from '../api.js';
import { navigate } from '../router.js';
import { Status } from '../widgets.js';

function summary(j: JobRecord): string {
  if (j.kind === 'explore') {
    const e = j.request.explore!;
    return `${e.experiment} · ${e.layer} · ${e.size ?? 128}px · ${e.iterations ?? 100} it`;
  }
  const o = j.request.options ?? {};
  return Object.entries(o)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' · ') || 'defaults';
}

export function GalleryPage() {
  const [jobs, setJobs] = useState<JobRecord[] | null>(null);
  const [commands, setCommands] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  // Training runs live in the dashboard; the gallery shows pictures.
  const load = () => api.get<JobRecord[]>('/api/jobs').then((js) => setJobs(js.filter((j) => j.kind === 'style' || j.kind === 'explore')), (e: Error) => setError(e.message));
  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 3000);
    return () => clearInterval(t);
  }, []);

  const reproduce = async (j: JobRecord) => {
    try {
      const n = await api.post<JobRecord>('/api/jobs', j.request);
      navigate(j.kind === 'style' ? `/style?job=${n.id}` : '/explore');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const command = async (j: JobRecord) => {
    const c = await api.get<{ command: string }>(`/api/jobs/${j.id}/command`);
    setCommands((m) => ({ ...m, [j.id]: c.command }));
    await navigator.clipboard?.writeText(c.command).catch(() => undefined);
  };
  const remove = async (j: JobRecord) => {
    await api.del(`/api/jobs/${j.id}`).catch((e: Error) => setError(e.message));
    void load();
  };

  return (
    <div class="page gallery-page">
      <h2>Gallery and history</h2>
      <Status text={error} kind="error" />
      {jobs === null ? (
        <div class="placeholder">loading…</div>
      ) : jobs.length === 0 ? (
        <div class="placeholder">Nothing yet: results of style transfer and layer experiments appear here.</div>
      ) : (
        <div class="grid" data-testid="gallery">
          {jobs.map((j) => (
            <div class={`card ${j.status}`} data-testid="gallery-item" data-job={j.id}>
              <a href={`#/style?job=${j.id}`} onClick={(e) => j.kind !== 'style' && e.preventDefault()}>
                {j.result ? (
                  <img src={fileUrl(j.id, 'result.png', j.finished)} alt={`result of ${j.id}`} loading="lazy" />
                ) : j.frame > 0 ? (
                  <img src={fileUrl(j.id, 'frame.png', j.frame)} alt={`frame of ${j.id}`} loading="lazy" />
                ) : (
                  <div class="placeholder">{j.status}</div>
                )}
              </a>
              <div class="meta">
                <b>{j.kind}</b> · <span class="status">{j.status}</span> · {new Date(j.created).toLocaleString()}
                <div class="inputs">{Object.values(j.inputNames).join(' + ')}</div>
                <div class="opts">{summary(j)}</div>
                {j.error && <div class="error">{j.error}</div>}
              </div>
              <div class="actions">
                <button type="button" onClick={() => void reproduce(j)} title="run again with exactly these inputs and options">
                  Reproduce
                </button>
                {j.kind === 'style' && (
                  <button type="button" onClick={() => navigate(`/style?from=${j.id}`)}>
                    Edit
                  </button>
                )}
                <button type="button" onClick={() => void command(j)}>
                  CLI command
                </button>
                {j.result && (
                  <a href={`${fileUrl(j.id, 'result.png')}?download`} download>
                    PNG
                  </a>
                )}
                {FINISHED.has(j.status) && (
                  <button type="button" onClick={() => void remove(j)}>
                    Delete
                  </button>
                )}
              </div>
              {commands[j.id] && <pre class="command" data-testid="command">{commands[j.id]}</pre>}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
