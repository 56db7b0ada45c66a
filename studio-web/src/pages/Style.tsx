/** Style transfer: inputs, options from the schema, and the run shown live. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { FINISHED, api, fileUrl, fmt, fmtSeconds, uploadUrl, watchJob, type JobProgress, type JobRecord, type ObjectSchema, type UploadInfo } from '../api.js';
import { SchemaForm, fromStamp, type Values } from '../form.js';
import { Chart, DropZone, Status } from '../widgets.js';
import { navigate, useRoute } from '../router.js';

interface StyleInput {
  info: UploadInfo;
  weight: number;
}

const COST_SERIES = [
  { label: 'total', color: '#222' },
  { label: 'content', color: '#1f77b4' },
  { label: 'style', color: '#d62728' },
  { label: 'tv', color: '#2ca02c' },
];

export function StylePage({ schema }: { schema: ObjectSchema }) {
  const route = useRoute();
  const [content, setContent] = useState<UploadInfo | null>(null);
  const [styles, setStyles] = useState<StyleInput[]>([]);
  const [values, setValues] = useState<Values>({});
  const [job, setJob] = useState<JobRecord | null>(null);
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const [costs, setCosts] = useState<[number, number, number, number, number][]>([]);
  const [frame, setFrame] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const jobId = route.params.get('job');
  const from = route.params.get('from');

  // Load a gallery job's inputs and options into the form.
  useEffect(() => {
    if (!from) return;
    void (async () => {
      try {
        const j = await api.get<JobRecord>(`/api/jobs/${from}`);
        await loadRequest(j);
        setMessage(`inputs and options of job ${j.id} loaded`);
      } catch (e) {
        setError((e as Error).message);
      }
    })();
  }, [from]);

  const loadRequest = async (j: JobRecord) => {
    const r = j.request;
    if (r.content) setContent(await api.get<UploadInfo>(`/api/uploads/${r.content}/info`));
    const st: StyleInput[] = [];
    for (const s of r.styles ?? []) st.push({ info: await api.get<UploadInfo>(`/api/uploads/${s.id}/info`), weight: s.weight ?? 1 });
    setStyles(st);
    setValues(fromStamp(schema, r.options ?? {}));
  };

  // Watch the current job: frames, costs and status live; a reload picks it up again.
  useEffect(() => {
    setJob(null);
    setProgress(null);
    setCosts([]);
    setFrame(0);
    if (!jobId) return;
    let first = true;
    return watchJob(jobId, {
      job: (j) => {
        setJob((prev) => ({ ...(prev ?? j), ...j, costs: j.costs ?? prev?.costs ?? [] }));
        if (j.costs && first) setCosts(j.costs);
        if (j.progress) setProgress(j.progress);
        setFrame(j.frame);
        // After a reload the form is empty: fill it from the job being shown.
        if (first && !content && j.request.content) void loadRequest(j);
        first = false;
      },
      progress: (p) => {
        setProgress(p.progress);
        if (p.cost) setCosts((c) => [...c, p.cost!]);
      },
      frame: (f) => setFrame(f.evaluation),
    });
  }, [jobId]);

  const chartData = useMemo(() => [0, 1, 2, 3, 4].map((i) => costs.map((c) => c[i])), [costs]);
  const running = job && !FINISHED.has(job.status);

  const start = async () => {
    setError(null);
    setMessage(null);
    if (!content || styles.length === 0) {
      setError('add a content image and at least one style image');
      return;
    }
    try {
      const body = {
        kind: 'style',
        content: content.id,
        styles: styles.map((s) => (styles.length > 1 ? { id: s.info.id, weight: s.weight } : { id: s.info.id })),
        options: values,
      };
      const j = await api.post<JobRecord>('/api/jobs', body);
      navigate(`/style?job=${j.id}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const stop = async () => {
    if (job) await api.post(`/api/jobs/${job.id}/cancel`).catch((e: Error) => setError(e.message));
  };
  const restore = (u: UploadInfo) => {
    if (u.stamp?.command === 'style') {
      setValues(fromStamp(schema, u.stamp.options));
      const w = u.stamp.options.styleBlendWeights;
      if (Array.isArray(w)) setStyles((s) => s.map((x, i) => ({ ...x, weight: typeof w[i] === 'number' ? (w[i] as number) : x.weight })));
      setMessage(`options restored from ${u.name} (made from ${u.stamp.inputs?.content ?? '?'} + ${[u.stamp.inputs?.styles ?? []].flat().join(', ')})`);
    } else setError(`${u.name} carries no ai-art style options`);
  };

  const evals = progress ? `${progress.evaluation}/${progress.evaluations}` : '–';
  return (
    <div class="page style-page">
      <section class="inputs">
        <h2>Style transfer</h2>
        <div class="row">
          <DropZone label="Content image: drop or click" testId="content-drop" onUploaded={(u) => setContent(u)}>
            {content && <img class="thumb" src={uploadUrl(content.id)} alt={content.name} />}
          </DropZone>
          <DropZone label="Style images: drop or click (several blend)" multiple testId="style-drop" onUploaded={(u) => setStyles((s) => [...s, { info: u, weight: 1 }])}>
            <div class="styles">
              {styles.map((s, i) => (
                <div class="style-item">
                  <img class="thumb" src={uploadUrl(s.info.id)} alt={s.info.name} />
                  {styles.length > 1 && (
                    <label>
                      weight {s.weight.toFixed(2)}
                      <input type="range" min={0} max={4} step={0.05} value={s.weight} onInput={(e) => setStyles((l) => l.map((x, k) => (k === i ? { ...x, weight: Number((e.target as HTMLInputElement).value) } : x)))} />
                    </label>
                  )}
                  <button type="button" onClick={() => setStyles((l) => l.filter((_, k) => k !== i))}>remove</button>
                </div>
              ))}
            </div>
          </DropZone>
        </div>
        <DropZone label="Drop an ai-art PNG here to restore the options that made it" testId="restore-drop" accept="image/png" onUploaded={restore} />
        <SchemaForm schema={schema} values={values} onChange={setValues} />
        <div class="actions">
          <button class="primary" type="button" onClick={start} disabled={!!running}>
            Start
          </button>
          <button type="button" onClick={stop} disabled={!running}>
            Stop
          </button>
          <button type="button" onClick={() => setValues({})}>Defaults</button>
        </div>
        <Status text={message} />
        <Status text={error} kind="error" />
      </section>
      <section class="output">
        {job ? (
          <>
            <div class="job-status" data-testid="job-status" data-status={job.status}>
              job {job.id}: <b>{job.status}</b>
              {progress && progress.scales > 1 && ` · scale ${progress.scale}/${progress.scales} (${progress.size[1]}×${progress.size[0]})`}
              {' · '}evaluation <span data-testid="evaluation">{evals}</span>
              {progress && ` · ${progress.evaluationsPerSecond.toFixed(2)} eval/s`}
              {running && progress && ` · ETA ${fmtSeconds(progress.etaSeconds)}`}
              {progress && ` · cost ${fmt(progress.total)}`}
            </div>
            {job.error && <div class="error">{job.error}</div>}
            {job.notices.map((n) => (
              <div class="notice">{n}</div>
            ))}
            <div class="frame">
              {job.result && FINISHED.has(job.status) ? (
                <img data-testid="result" src={fileUrl(job.id, 'result.png', job.finished)} alt="result" />
              ) : frame > 0 ? (
                <img data-testid="frame" data-evaluation={frame} src={fileUrl(job.id, 'frame.png', frame)} alt={`frame ${frame}`} />
              ) : (
                <div class="placeholder">{job.status === 'queued' ? 'waiting in the queue…' : 'starting…'}</div>
              )}
            </div>
            {job.result && FINISHED.has(job.status) && (
              <div class="actions">
                <a href={`${fileUrl(job.id, 'result.png')}?download`} download>
                  Download PNG
                </a>
              </div>
            )}
            {job.scaleFrames.length > 0 && (
              <div class="scales">
                {job.scaleFrames.map((s) => (
                  <figure>
                    <img src={fileUrl(job.id, `scale_${s.scale}.png`)} alt={`scale ${s.scale}`} />
                    <figcaption>
                      scale {s.scale}: {s.size[1]}×{s.size[0]}
                    </figcaption>
                  </figure>
                ))}
              </div>
            )}
            <Chart series={COST_SERIES} data={chartData} />
          </>
        ) : (
          <div class="placeholder big">Add a content image and a style image, then Start. The picture evolves here as the optimiser runs.</div>
        )}
      </section>
    </div>
  );
}
