/**
 * Starts a training job: a dataset folder from the server's list (only folders under its
 * --datasets roots), a run name, the style picture for fast train, and the command's options
 * as a form generated from the same schema the server validates with.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type JobRecord, type ObjectSchema, type UploadInfo } from '../api.js';
import type { TrainKind } from '../../../src/studio/types.js';
import { SchemaForm, type Values } from '../form.js';
import { DropZone, Status } from '../widgets.js';

interface DatasetEntry {
  root: number;
  name: string;
  images: number;
  folders: string[];
}
interface DatasetList {
  roots: { root: number; folder: string }[];
  datasets: DatasetEntry[];
}

/** Which folders suit which trainer: CycleGAN trainA/ and trainB/, pix2pix train/, fast train any pictures. */
function suits(kind: TrainKind, d: DatasetEntry): boolean {
  if (kind === 'cyclegan-train') return d.folders.includes('trainA') && d.folders.includes('trainB');
  if (kind === 'pix2pix-train') return d.folders.includes('train');
  return d.images > 0;
}

export function TrainForm({
  kind,
  basic,
  initial,
  onStarted,
}: {
  kind: TrainKind;
  basic?: readonly string[];
  initial?: Values;
  onStarted: (job: JobRecord) => void;
}) {
  const [schema, setSchema] = useState<ObjectSchema | null>(null);
  const [list, setList] = useState<DatasetList | null>(null);
  const [dataset, setDataset] = useState('');
  const [name, setName] = useState('');
  const [style, setStyle] = useState<UploadInfo | null>(null);
  const [values, setValues] = useState<Values>(initial ?? {});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSchema(null);
    api.get<ObjectSchema>(`/api/schemas/${kind}`).then(setSchema, (e: Error) => setError(e.message));
    api.get<DatasetList>('/api/datasets').then(setList, (e: Error) => setError(e.message));
  }, [kind]);
  const usable = (list?.datasets ?? []).filter((d) => suits(kind, d));
  const start = async () => {
    setError(null);
    const [root, ...rest] = dataset.split('/');
    try {
      const job = await api.post<JobRecord>('/api/jobs', {
        kind,
        train: {
          dataset: { root: Number(root), name: rest.join('/') },
          ...(name ? { name } : {}),
          ...(style ? { styleImage: style.id } : {}),
          options: values,
        },
      });
      onStarted(job);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div class="train-form" data-testid={`train-form-${kind}`}>
      <div class="row">
        <label>
          dataset folder{' '}
          <select
            data-testid="train-dataset"
            value={dataset}
            onChange={(e) => setDataset((e.target as HTMLSelectElement).value)}
          >
            <option value="">choose…</option>
            {usable.map((d) => (
              <option value={`${d.root}/${d.name}`}>
                {d.name} ({d.images} pictures{d.folders.length ? `; ${d.folders.slice(0, 4).join(', ')}` : ''}
                )
              </option>
            ))}
          </select>
        </label>
        <label>
          run name{' '}
          <input
            type="text"
            data-testid="train-name"
            pattern="[A-Za-z0-9_-][A-Za-z0-9._-]*"
            maxLength={128}
            placeholder="automatic"
            value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value.trim())}
          />
        </label>
      </div>
      {list && usable.length === 0 && (
        <div class="placeholder">
          No suitable dataset folder under {list.roots.map((r) => r.folder).join(', ') || 'the dataset roots'}{' '}
          (ai-art studio --datasets DIR,...).
        </div>
      )}
      {kind === 'fast-train' && (
        <DropZone
          label="Drop or pick the style picture"
          testId="train-style-drop"
          onUploaded={(u) => setStyle(u)}
        >
          {style && <img class="thumb" src={`/api/uploads/${style.id}`} alt={style.name} />}
        </DropZone>
      )}
      {schema && <SchemaForm schema={schema} values={values} onChange={setValues} basic={basic} />}
      <div class="actions">
        <button
          class="primary"
          type="button"
          data-testid="train-start"
          disabled={!dataset || (kind === 'fast-train' && !style)}
          onClick={() => void start()}
        >
          Start training
        </button>
      </div>
      <Status text={error} kind="error" />
    </div>
  );
}
