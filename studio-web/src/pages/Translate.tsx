/** Translate: CycleGAN/pix2pix generators on dropped images, and a pix2pix drawing canvas. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ModelEntry } from '../api.js';
import { DropZone, Status } from '../widgets.js';

/** The CMP facades label colours (jet over 12 classes) that pix2pix's facades_label2photo reads. */
const FACADES = [
  ['background', '#0000aa'],
  ['facade', '#0000ff'],
  ['window', '#0055ff'],
  ['door', '#00aaff'],
  ['cornice', '#00ffff'],
  ['sill', '#55ffaa'],
  ['balcony', '#aaff55'],
  ['blind', '#ffff00'],
  ['deco', '#ffaa00'],
  ['molding', '#ff5500'],
  ['pillar', '#ff0000'],
  ['shop', '#aa0000'],
] as const;

async function translate(model: string, body: Blob, evalMode: boolean): Promise<{ url: string; ms: string }> {
  const r = await fetch(`/api/translate?model=${encodeURIComponent(model)}&eval=${evalMode}&maxSide=512`, {
    method: 'POST',
    headers: { 'content-type': body.type || 'image/png' },
    body,
  });
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { error?: string }).error ?? `${r.status}`);
  return { url: URL.createObjectURL(await r.blob()), ms: r.headers.get('x-milliseconds') ?? '?' };
}

function DrawCanvas({ model, evalMode, labels }: { model: string; evalMode: boolean; labels: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [tool, setTool] = useState<'pen' | 'eraser'>('pen');
  const [color, setColor] = useState('#000000');
  const [size, setSize] = useState(6);
  const [out, setOut] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const undo = useRef<ImageData[]>([]);
  const timer = useRef<number | undefined>(undefined);
  const seq = useRef(0);
  const background = labels ? FACADES[0][1] : '#ffffff';

  const clear = () => {
    const c = canvas.current!.getContext('2d')!;
    c.fillStyle = background;
    c.fillRect(0, 0, 256, 256);
  };
  useEffect(() => {
    clear();
    if (labels) setColor(FACADES[1][1]);
    else setColor('#000000');
    schedule(0);
  }, [labels]);
  useEffect(() => schedule(0), [model, evalMode]);

  /** Translation follows the drawing, debounced; an older answer never replaces a newer one. */
  const schedule = (delay = 350) => {
    clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      const mine = ++seq.current;
      canvas.current?.toBlob(async (blob) => {
        if (!blob || !model) return;
        try {
          const r = await translate(model, blob, evalMode);
          if (mine === seq.current) {
            setOut((old) => {
              if (old) URL.revokeObjectURL(old);
              return r.url;
            });
            setInfo(`translated in ${r.ms} ms`);
            setError(null);
          }
        } catch (e) {
          if (mine === seq.current) setError((e as Error).message);
        }
      }, 'image/png');
    }, delay);
  };

  const pos = (e: PointerEvent) => {
    const r = canvas.current!.getBoundingClientRect();
    return [((e.clientX - r.left) * 256) / r.width, ((e.clientY - r.top) * 256) / r.height];
  };
  const last = useRef<number[] | null>(null);
  const down = (e: PointerEvent) => {
    const c = canvas.current!.getContext('2d')!;
    undo.current.push(c.getImageData(0, 0, 256, 256));
    if (undo.current.length > 50) undo.current.shift();
    canvas.current!.setPointerCapture(e.pointerId);
    last.current = pos(e);
    move(e);
  };
  const move = (e: PointerEvent) => {
    if (!last.current) return;
    const c = canvas.current!.getContext('2d')!;
    const p = pos(e);
    c.strokeStyle = tool === 'eraser' ? background : color;
    c.lineWidth = size;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    // Label maps need hard edges: a smoothed edge would be a colour no class has.
    c.imageSmoothingEnabled = !labels;
    c.beginPath();
    c.moveTo(last.current[0], last.current[1]);
    c.lineTo(p[0], p[1]);
    c.stroke();
    last.current = p;
    schedule(600);
  };
  const up = () => {
    if (!last.current) return;
    last.current = null;
    schedule();
  };

  return (
    <div class="draw">
      <div class="toolbar">
        <button type="button" class={tool === 'pen' ? 'on' : ''} onClick={() => setTool('pen')}>
          Pen
        </button>
        <button type="button" class={tool === 'eraser' ? 'on' : ''} onClick={() => setTool('eraser')}>
          Eraser
        </button>
        <button
          type="button"
          onClick={() => {
            const d = undo.current.pop();
            if (d) {
              canvas.current!.getContext('2d')!.putImageData(d, 0, 0);
              schedule(0);
            }
          }}
        >
          Undo
        </button>
        <button
          type="button"
          onClick={() => {
            undo.current.push(canvas.current!.getContext('2d')!.getImageData(0, 0, 256, 256));
            clear();
            schedule(0);
          }}
        >
          Clear
        </button>
        <label>
          size <input type="range" min={1} max={40} value={size} onInput={(e) => setSize(Number((e.target as HTMLInputElement).value))} />
        </label>
        {!labels && <input type="color" value={color} onInput={(e) => setColor((e.target as HTMLInputElement).value)} aria-label="colour" />}
      </div>
      {labels && (
        <div class="palette">
          {FACADES.map(([name, hex]) => (
            <button type="button" class={color === hex ? 'on' : ''} style={{ background: hex }} title={name} onClick={() => { setColor(hex); setTool('pen'); }}>
              {name}
            </button>
          ))}
        </div>
      )}
      <div class="pair">
        <canvas
          ref={canvas}
          width={256}
          height={256}
          data-testid="draw-canvas"
          onPointerDown={(e) => down(e as unknown as PointerEvent)}
          onPointerMove={(e) => move(e as unknown as PointerEvent)}
          onPointerUp={up}
          onPointerLeave={up}
        />
        {out ? <img data-testid="draw-output" src={out} alt="translation" width={256} height={256} /> : <div class="placeholder sq">the translation appears here</div>}
      </div>
      <Status text={info} />
      <Status text={error} kind="error" />
    </div>
  );
}

export function TranslatePage() {
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [model, setModel] = useState('');
  const [evalMode, setEvalMode] = useState(true);
  const [labels, setLabels] = useState(false);
  const [mode, setMode] = useState<'images' | 'draw'>('images');
  const [pairs, setPairs] = useState<{ name: string; input: string; output?: string; error?: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = async (select?: string) => {
    const list = await api.get<ModelEntry[]>('/api/models').catch((e: Error) => (setError(e.message), [] as ModelEntry[]));
    setModels(list);
    setModel((m) => select ?? (m || list.find((x) => x.cached)?.model || ''));
  };
  useEffect(() => void load(), []);
  const current = models.find((m) => m.model === model);

  const onFiles = async (files: FileList | null) => {
    for (const f of [...(files ?? [])].slice(0, 16)) {
      const input = URL.createObjectURL(f);
      setPairs((p) => [{ name: f.name, input }, ...p]);
      try {
        const r = await translate(model, f, evalMode);
        setPairs((p) => p.map((x) => (x.input === input ? { ...x, output: r.url } : x)));
      } catch (e) {
        setPairs((p) => p.map((x) => (x.input === input ? { ...x, error: (e as Error).message } : x)));
      }
    }
  };

  return (
    <div class="page translate-page">
      <h2>Translate</h2>
      <div class="row">
        <label>
          model{' '}
          <select data-testid="model-select" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
            <option value="">choose…</option>
            {models.map((m) => (
              <option value={m.model}>
                {m.label} ({m.kind}, {m.netG}){m.source === 'zoo' && !m.cached ? ' — not downloaded' : ''}
              </option>
            ))}
          </select>
        </label>
        <label title="as the official test.py --eval: running batch-norm statistics, no dropout">
          <input type="checkbox" checked={evalMode} onChange={(e) => setEvalMode((e.target as HTMLInputElement).checked)} /> eval mode
        </label>
        <DropZone
          label="Upload a generator .pth (read with the allow-list reader)"
          accept=".pth"
          route="/api/models"
          testId="model-drop"
          onUploaded={(u) => void load((u as unknown as ModelEntry).model)}
        />
      </div>
      <div class="tabs">
        <button type="button" class={mode === 'images' ? 'on' : ''} onClick={() => setMode('images')}>
          Images
        </button>
        <button type="button" class={mode === 'draw' ? 'on' : ''} onClick={() => setMode('draw')} disabled={current?.kind === 'cyclegan'} title="pix2pix models">
          Draw (pix2pix)
        </button>
        {mode === 'draw' && (
          <label>
            <input type="checkbox" checked={labels} onChange={(e) => setLabels((e.target as HTMLInputElement).checked)} /> label-map palette (facades)
          </label>
        )}
      </div>
      <Status text={error} kind="error" />
      {!model ? (
        <div class="placeholder">Choose a model, or upload a CycleGAN/pix2pix generator checkpoint.</div>
      ) : mode === 'draw' ? (
        <DrawCanvas model={model} evalMode={evalMode} labels={labels} />
      ) : (
        <>
          <div
            class="drop"
            data-testid="translate-drop"
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              void onFiles(e.dataTransfer?.files ?? null);
            }}
          >
            <label>
              Drop images here or <input type="file" accept="image/*" multiple onChange={(e) => void onFiles((e.target as HTMLInputElement).files)} />
            </label>
          </div>
          <div class="pairs">
            {pairs.map((p) => (
              <div class="pair">
                <figure>
                  <img src={p.input} alt={p.name} />
                  <figcaption>{p.name}</figcaption>
                </figure>
                <figure>
                  {p.output ? <img src={p.output} alt={`translated ${p.name}`} data-testid="translated" /> : <div class="placeholder sq">{p.error ?? 'translating…'}</div>}
                  <figcaption>{current?.label}</figcaption>
                </figure>
              </div>
            ))}
          </div>
        </>
      )}
    </div>
  );
}
