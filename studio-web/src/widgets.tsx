/** Small shared pieces: image drop zones, the cost chart (uPlot), status lines. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, fmt, type UploadInfo } from './api.js';

/** Drop or pick image files; each is uploaded (typed and checked by the server) and handed on. */
export function DropZone({
  label,
  multiple = false,
  accept = 'image/png,image/jpeg,image/webp,image/gif',
  onUploaded,
  route,
  testId,
  children,
}: {
  label: string;
  multiple?: boolean;
  accept?: string;
  onUploaded: (u: UploadInfo, file: File) => void;
  route?: string;
  testId?: string;
  children?: preact.ComponentChildren;
}) {
  const [over, setOver] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const take = async (files: FileList | null) => {
    if (!files) return;
    setError(null);
    setBusy(true);
    try {
      for (const f of [...files].slice(0, multiple ? 8 : 1)) onUploaded(await api.upload(f, f.name, route), f);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div
      class={`drop ${over ? 'over' : ''}`}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        e.stopPropagation();
        setOver(false);
        void take(e.dataTransfer?.files ?? null);
      }}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest('button,input,a,select')) return;
        input.current?.click();
      }}
    >
      <input ref={input} type="file" accept={accept} multiple={multiple} hidden onChange={(e) => void take((e.target as HTMLInputElement).files)} />
      <div class="drop-label">{busy ? 'uploading…' : label}</div>
      {children}
      {error && <div class="error">{error}</div>}
    </div>
  );
}

/** Log axes: powers of ten only (1e-4, 0.01, 1, 100, 1e4), so the labels never crowd. */
function axisLabel(v: number | null, log: boolean): string {
  if (v === null) return '';
  if (!log) return fmt(v);
  const e = Math.log10(v);
  if (Math.abs(e - Math.round(e)) > 1e-6) return '';
  const k = Math.round(e);
  return k >= -2 && k <= 3 ? String(10 ** k) : `1e${k}`;
}

export interface Series {
  label: string;
  color: string;
}

/** A live line chart on a log y axis; `data` is [x[], y1[], y2[], ...]. */
export function Chart({ series, data, height = 220, xLabel = 'evaluation', log = true }: { series: Series[]; data: number[][]; height?: number; xLabel?: string; log?: boolean }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    if (!el.current) return;
    const width = Math.max(300, el.current.clientWidth);
    const opts: uPlot.Options = {
      width,
      height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ label: xLabel }, { size: 60, values: (_u, splits) => splits.map((v) => axisLabel(v, log)) }],
      series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))],
      legend: { show: true },
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el.current);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, el.current?.clientWidth ?? width), height }));
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; data goes through setData.
  }, [key, height]);
  useEffect(() => {
    // A log axis cannot show zeros or negatives: those points are gaps.
    const clean = log ? data.map((col, i) => (i === 0 ? col : col.map((v) => (v > 0 && Number.isFinite(v) ? v : (null as unknown as number))))) : data;
    plot.current?.setData(clean as uPlot.AlignedData);
  }, [data]);
  return <div class="chart" ref={el} />;
}

export function Status({ text, kind = 'info' }: { text: string | null; kind?: 'info' | 'error' }) {
  if (!text) return null;
  return <div class={kind === 'error' ? 'error' : 'notice'}>{text}</div>;
}
