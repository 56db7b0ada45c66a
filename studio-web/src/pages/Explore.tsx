/**
 * Layer explorer (the seed's experiments): what each VGG-19 layer sees. Strokes: the style
 * cost of one layer alone, from noise. Content: the content cost of one layer alone. Each
 * cell is a queued job computed on demand; a finished one is reused (the server caches by
 * image, layer and options).
 */
import { useEffect, useState } from 'preact/hooks';
import { FINISHED, api, fileUrl, uploadUrl, watchJob, type JobRecord, type UploadInfo } from '../api.js';
import { DropZone, Status } from '../widgets.js';

const LAYERS = ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_4', 'conv4_1', 'conv4_2', 'conv4_3', 'conv4_4', 'conv5_1', 'conv5_2', 'conv5_4'];
const DEFAULT = new Set(['conv2_2', 'conv3_1', 'conv3_2', 'conv4_1', 'conv4_3', 'conv4_4', 'conv5_1', 'conv5_4']);

function Cell({ job: initial, layer }: { job: JobRecord; layer: string }) {
  const [job, setJob] = useState(initial);
  useEffect(() => {
    if (FINISHED.has(initial.status)) return;
    return watchJob(initial.id, { job: (j) => setJob((p) => ({ ...p, ...j })), frame: (f) => setJob((p) => ({ ...p, frame: f.evaluation })) });
  }, [initial.id]);
  const src = job.result ? fileUrl(job.id, 'result.png', job.finished) : job.frame > 0 ? fileUrl(job.id, 'frame.png', job.frame) : null;
  return (
    <figure class="cell" data-testid="explore-cell" data-status={job.status}>
      {src ? <img src={src} alt={layer} /> : <div class="placeholder sq">{job.status}</div>}
      <figcaption>
        {layer} · {job.status}
        {job.progress && !FINISHED.has(job.status) && ` ${job.progress.evaluation}/${job.progress.evaluations}`}
      </figcaption>
    </figure>
  );
}

export function ExplorePage() {
  const [image, setImage] = useState<UploadInfo | null>(null);
  const [experiment, setExperiment] = useState<'strokes' | 'content'>('strokes');
  const [layers, setLayers] = useState<Set<string>>(new Set(DEFAULT));
  const [size, setSize] = useState(128);
  const [iterations, setIterations] = useState(100);
  const [weights, setWeights] = useState<'auto' | 'vgg19' | 'random'>('auto');
  const [cells, setCells] = useState<{ layer: string; job: JobRecord }[]>([]);
  const [error, setError] = useState<string | null>(null);

  const compute = async () => {
    if (!image) return setError('drop an image first');
    setError(null);
    const out: { layer: string; job: JobRecord }[] = [];
    try {
      for (const layer of LAYERS.filter((l) => layers.has(l))) {
        const job = await api.post<JobRecord>('/api/jobs', { kind: 'explore', explore: { experiment, layer, image: image.id, size, iterations, weights } });
        out.push({ layer, job });
      }
    } catch (e) {
      setError((e as Error).message);
    }
    setCells(out);
  };

  return (
    <div class="page explore-page">
      <h2>Layer explorer</h2>
      <p class="help">
        <b>Strokes</b>: noise optimised to match one layer's style statistics (Gram matrix) alone — the brush strokes that layer
        learned. <b>Content</b>: noise optimised to match one layer's activations alone — shallow layers reconstruct, deep ones
        abstract.
      </p>
      <div class="row">
        <DropZone label={experiment === 'strokes' ? 'Style image: drop or click' : 'Content image: drop or click'} testId="explore-drop" onUploaded={setImage}>
          {image && <img class="thumb" src={uploadUrl(image.id)} alt={image.name} />}
        </DropZone>
        <div class="controls">
          <label>
            experiment{' '}
            <select value={experiment} onChange={(e) => setExperiment((e.target as HTMLSelectElement).value as 'strokes' | 'content')}>
              <option value="strokes">strokes (style, per layer)</option>
              <option value="content">content reconstruction (per layer)</option>
            </select>
          </label>
          <label>
            size <input type="number" min={16} max={512} value={size} onInput={(e) => setSize(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label>
            iterations <input type="number" min={1} max={1000} value={iterations} onInput={(e) => setIterations(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label>
            weights{' '}
            <select value={weights} onChange={(e) => setWeights((e.target as HTMLSelectElement).value as 'auto')}>
              <option value="auto">auto</option>
              <option value="vgg19">vgg19</option>
              <option value="random">random</option>
            </select>
          </label>
          <div class="layers">
            {LAYERS.map((l) => (
              <label>
                <input
                  type="checkbox"
                  checked={layers.has(l)}
                  onChange={(e) => {
                    const s = new Set(layers);
                    if ((e.target as HTMLInputElement).checked) s.add(l);
                    else s.delete(l);
                    setLayers(s);
                  }}
                />
                {l}
              </label>
            ))}
          </div>
          <button class="primary" type="button" onClick={() => void compute()}>
            Compute
          </button>
        </div>
      </div>
      <Status text={error} kind="error" />
      <div class="cells">
        {image && cells.length > 0 && (
          <figure class="cell">
            <img src={uploadUrl(image.id)} alt="input" />
            <figcaption>{experiment === 'strokes' ? 'style' : 'content'}</figcaption>
          </figure>
        )}
        {cells.map((c) => (
          <Cell key={c.job.id} job={c.job} layer={c.layer} />
        ))}
      </div>
    </div>
  );
}
