/**
 * Fast styles: a feed-forward style network (zoo, cached, uploaded .pth or .onnx) run in the
 * browser by onnxruntime-web (WebAssembly, served by the studio from node_modules): an
 * uploaded picture, or the webcam live. Nothing leaves the machine.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import * as ort from 'onnxruntime-web/wasm';
import { api, type JobRecord, type UploadInfo } from '../api.js';
import { RunView, type RunDetail } from '../train/RunView.js';
import { TrainForm } from '../train/TrainForm.js';
import { DropZone, Status } from '../widgets.js';

interface FastModelEntry {
  model: string;
  label: string;
  description: string;
  format: 'pth' | 'onnx';
  cached: boolean;
  source: 'zoo' | 'upload';
}

ort.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
// One thread: threads need a cross-origin-isolated page, and a style net at webcam size
// keeps one core busy anyway.
ort.env.wasm.numThreads = 1;

/** Sizes the network takes: multiples of 4 (two stride-2 convolutions and two upsamplings). */
function fit(w: number, h: number, longest: number): [number, number] {
  const s = longest / Math.max(w, h);
  return [Math.max(16, Math.round((w * s) / 4) * 4), Math.max(16, Math.round((h * s) / 4) * 4)];
}

class Stylizer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly width: number,
    readonly height: number,
    private readonly valueRange: number,
  ) {}

  static async create(model: string, width: number, height: number): Promise<Stylizer> {
    const r = await fetch(`/api/fast/onnx?model=${encodeURIComponent(model)}&height=${height}&width=${width}`);
    if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status}`);
    const range = Number(r.headers.get('x-value-range') ?? 255);
    const session = await ort.InferenceSession.create(new Uint8Array(await r.arrayBuffer()), { executionProviders: ['wasm'] });
    return new Stylizer(session, width, height, range);
  }

  async run(src: CanvasImageSource, out: HTMLCanvasElement): Promise<void> {
    const { width: w, height: h } = this;
    const scratch = new OffscreenCanvas(w, h);
    const g = scratch.getContext('2d')!;
    g.drawImage(src, 0, 0, w, h);
    const px = g.getImageData(0, 0, w, h).data;
    const n = w * h;
    const x = new Float32Array(3 * n);
    const k = this.valueRange / 255;
    for (let i = 0; i < n; i++) {
      x[i] = px[4 * i] * k;
      x[n + i] = px[4 * i + 1] * k;
      x[2 * n + i] = px[4 * i + 2] * k;
    }
    const res = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, h, w]) });
    const y = res[this.session.outputNames[0]].data as Float32Array;
    const img = new ImageData(w, h);
    const back = 255 / this.valueRange;
    for (let i = 0; i < n; i++) {
      img.data[4 * i] = y[i] * back;
      img.data[4 * i + 1] = y[n + i] * back;
      img.data[4 * i + 2] = y[2 * n + i] * back;
      img.data[4 * i + 3] = 255;
    }
    out.width = w;
    out.height = h;
    out.getContext('2d')!.putImageData(img, 0, 0);
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** The options shown at first in the training panel; the rest of fast train's are folded as advanced. */
const TRAIN_BASIC = ['width', 'imageSize', 'iterations', 'epochs', 'checkpointInterval', 'logInterval', 'vgg'] as const;

/**
 * Trains a new style from the page: a fast-train job, its dashboard entry shown here; when it
 * finishes its model joins the list above, selected.
 */
function TrainPanel({ onModel }: { onModel: (model: string) => void }) {
  const [run, setRun] = useState<JobRecord['run'] | null>(null);
  const [told, setTold] = useState<string | null>(null);
  const changed = (d: RunDetail) => {
    if (d.status !== 'finished' || !d.job || told === d.job.id) return;
    setTold(d.job.id);
    void api.get<JobRecord>(`/api/jobs/${d.job.id}`).then((j) => {
      const m = (j.report as { model?: string } | undefined)?.model;
      if (m) onModel(m);
    });
  };
  return (
    <details class="train-panel" data-testid="fast-train-panel">
      <summary>Train a new style</summary>
      <p class="muted">A TransformerNet for one style picture, trained on a dataset folder on the server (pytorch/examples fast_neural_style). Half width trains several times faster.</p>
      <TrainForm kind="fast-train" basic={TRAIN_BASIC} initial={{ width: 'half', imageSize: 256, checkpointInterval: 200, logInterval: 10 }} onStarted={(j) => setRun(j.run ?? null)} />
      {run && (
        <>
          <a href={`#/dashboard?run=${run.root}/${run.name}`} data-testid="fast-train-dashboard">
            open {run.name} in the training dashboard
          </a>
          <RunView runKey={`${run.root}/${run.name}`} onChange={changed} />
        </>
      )}
    </details>
  );
}

export function FastPage() {
  const [models, setModels] = useState<FastModelEntry[]>([]);
  const [model, setModel] = useState('');
  const [size, setSize] = useState(256);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [frames, setFrames] = useState(0);
  const [image, setImage] = useState<UploadInfo | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  const out = useRef<HTMLCanvasElement>(null);
  const stopFlag = useRef(false);

  const load = async (select?: string) => {
    const list = await api.get<FastModelEntry[]>('/api/fast/models').catch((e: Error) => (setError(e.message), [] as FastModelEntry[]));
    setModels(list);
    setModel((m) => select ?? (m || list.find((x) => x.cached)?.model || ''));
  };
  useEffect(() => {
    void load();
    return () => {
      stopFlag.current = true;
    };
  }, []);

  const stylizeImage = async (u: UploadInfo) => {
    setImage(u);
    setError(null);
    try {
      const img = new Image();
      img.src = `/api/uploads/${u.id}`;
      await img.decode();
      const [w, h] = fit(img.naturalWidth, img.naturalHeight, size);
      setStatus('preparing the model…');
      const st = await Stylizer.create(model, w, h);
      const t0 = performance.now();
      await st.run(img, out.current!);
      setStatus(`stylised ${w}×${h} in ${(performance.now() - t0).toFixed(0)} ms in the browser`);
      setFrames((f) => f + 1);
      await st.release();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const startWebcam = async () => {
    setError(null);
    let stream: MediaStream | null = null;
    let st: Stylizer | null = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      const v = video.current!;
      v.srcObject = stream;
      await v.play();
      const [w, h] = fit(v.videoWidth || 640, v.videoHeight || 480, size);
      setStatus('preparing the model…');
      st = await Stylizer.create(model, w, h);
      stopFlag.current = false;
      setLive(true);
      let n = 0;
      const t0 = performance.now();
      while (!stopFlag.current) {
        await st.run(v, out.current!);
        n++;
        setFrames(n);
        setStatus(`${w}×${h} · ${((1000 * n) / (performance.now() - t0)).toFixed(1)} frames/s in the browser`);
        await new Promise((r) => requestAnimationFrame(r));
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      stream?.getTracks().forEach((t) => t.stop());
      await st?.release();
      setLive(false);
    }
  };

  return (
    <div class="page fast-page">
      <h2>Fast styles</h2>
      <div class="row">
        <label>
          model{' '}
          <select data-testid="fast-model" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
            <option value="">choose…</option>
            {models.map((m) => (
              <option value={m.model}>
                {m.label} ({m.description}){m.source === 'zoo' && !m.cached ? ' — not downloaded' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          longest side{' '}
          <select value={size} onChange={(e) => setSize(Number((e.target as HTMLSelectElement).value))}>
            {[128, 192, 256, 384, 512].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <DropZone label="Upload a fast-style .pth or .onnx" accept=".pth,.onnx,.model" route="/api/fast/models" testId="fast-model-drop" onUploaded={(u) => void load((u as unknown as FastModelEntry).model)} />
      </div>
      <div class="actions">
        <button class="primary" type="button" disabled={!model || live} onClick={() => void startWebcam()}>
          Webcam
        </button>
        <button type="button" disabled={!live} onClick={() => (stopFlag.current = true)}>
          Stop
        </button>
      </div>
      <DropZone label="…or drop a picture to stylise" testId="fast-image-drop" onUploaded={(u) => void (model ? stylizeImage(u) : setError('choose a model first'))}>
        {image && <span>{image.name}</span>}
      </DropZone>
      <Status text={status} />
      <Status text={error} kind="error" />
      <div class="fast-grid">
        <video ref={video} muted playsInline style={{ display: live ? 'block' : 'none' }} />
        <canvas ref={out} data-testid="fast-output" data-frames={frames} width={320} height={240} />
      </div>
      <TrainPanel onModel={(m) => void load(m)} />
    </div>
  );
}
