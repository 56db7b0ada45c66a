/**
 * Options forms generated from a JSON Schema (the same one the server validates with): a
 * slider and a number box for numbers (the schema's range; logarithmic where it says
 * x-log), a select for choices, a checkbox for switches, a text box for the rest; grouped
 * by x-group, with x-advanced options folded away. An empty value means the default.
 */
import type { ObjectSchema } from './api.js';

type OptionSchema = ObjectSchema['properties'][string];
export type Values = Record<string, unknown>;

function logRange(p: OptionSchema): [number, number] {
  const hi = Math.log10(p.maximum ?? 1e6);
  const lo = p.minimum !== undefined && p.minimum > 0 ? Math.log10(p.minimum) : hi - 12;
  return [lo, hi];
}

function NumberField({ name, p, value, set }: { name: string; p: OptionSchema; value: number | undefined; set: (v: unknown) => void }) {
  const log = p['x-log'] === true;
  const int = p.type === 'integer';
  const shown = value ?? (typeof p.default === 'number' ? p.default : undefined);
  let slider = null;
  if (p.minimum !== undefined && p.maximum !== undefined) {
    if (log) {
      const [lo, hi] = logRange(p);
      const pos = shown === undefined || shown <= 0 ? lo : Math.log10(shown);
      slider = (
        <input
          type="range"
          aria-label={`${name} slider`}
          min={lo}
          max={hi}
          step={(hi - lo) / 240}
          value={pos}
          onInput={(e) => {
            const x = Number((e.target as HTMLInputElement).value);
            set(x <= lo ? (p.minimum ?? 0) : Number((10 ** x).toPrecision(3)));
          }}
        />
      );
    } else {
      const span = p.maximum - p.minimum;
      slider = (
        <input
          type="range"
          aria-label={`${name} slider`}
          min={p.minimum}
          max={int ? Math.min(p.maximum, p.minimum + Math.max(span, 1)) : p.maximum}
          step={int ? 1 : span / 400}
          value={shown ?? p.minimum}
          onInput={(e) => set(Number((e.target as HTMLInputElement).value))}
        />
      );
    }
  }
  return (
    <span class="num">
      {slider}
      <input
        type="number"
        name={name}
        min={p.minimum}
        max={p.maximum}
        step={int ? 1 : 'any'}
        placeholder={p.default === undefined ? 'auto' : String(p.default)}
        value={value === undefined ? '' : String(value)}
        onChange={(e) => {
          const t = (e.target as HTMLInputElement).value.trim();
          set(t === '' ? undefined : Number(t));
        }}
      />
    </span>
  );
}

function Field({ name, p, value, set }: { name: string; p: OptionSchema; value: unknown; set: (v: unknown) => void }) {
  let control;
  if (p.enum) {
    control = (
      <select name={name} value={value === undefined ? String(p.default ?? '') : String(value)} onChange={(e) => set((e.target as HTMLSelectElement).value || undefined)}>
        {p.default === undefined && <option value="">default</option>}
        {p.enum.map((v) => (
          <option value={v}>{v}</option>
        ))}
      </select>
    );
  } else if (p.type === 'boolean') {
    control =
      p.default === undefined ? (
        <select name={name} value={value === undefined ? '' : value ? 'on' : 'off'} onChange={(e) => {
          const v = (e.target as HTMLSelectElement).value;
          set(v === '' ? undefined : v === 'on');
        }}>
          <option value="">default</option>
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      ) : (
        <input type="checkbox" name={name} checked={value === undefined ? p.default === true : value === true} onChange={(e) => set((e.target as HTMLInputElement).checked)} />
      );
  } else if (p.type === 'integer' || p.type === 'number') {
    control = <NumberField name={name} p={p} value={value as number | undefined} set={set} />;
  } else if (p.type === 'array') {
    // Lists are written as on the command line: comma-separated.
    const numeric = p.items?.type === 'number' || p.items?.type === 'integer';
    control = (
      <input
        type="text"
        name={name}
        placeholder="default"
        value={Array.isArray(value) ? value.join(',') : ''}
        onChange={(e) => {
          const parts = (e.target as HTMLInputElement).value.split(',').map((x) => x.trim()).filter(Boolean);
          set(parts.length === 0 ? undefined : numeric ? parts.map(Number) : parts);
        }}
      />
    );
  } else {
    control = (
      <input
        type="text"
        name={name}
        maxLength={p.maxLength}
        pattern={p.pattern}
        placeholder="default"
        value={value === undefined ? '' : String(value)}
        onChange={(e) => set((e.target as HTMLInputElement).value.trim() || undefined)}
      />
    );
  }
  return (
    <label class="field" title={`--${p['x-flag']}: ${p.description}`}>
      <span class="name">
        {p['x-flag']}
        {value !== undefined && (
          <button type="button" class="reset" title="back to the default" onClick={() => set(undefined)}>
            ×
          </button>
        )}
      </span>
      {control}
      <small>{p.description}</small>
    </label>
  );
}

/** `basic`: when given, only these options are shown at first, the rest folded as advanced. */
export function SchemaForm({ schema, values, onChange, basic: only }: { schema: ObjectSchema; values: Values; onChange: (v: Values) => void; basic?: readonly string[] }) {
  const entries = Object.entries(schema.properties);
  const set = (k: string) => (v: unknown) => {
    const next = { ...values };
    if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) delete next[k];
    else next[k] = v;
    onChange(next);
  };
  const render = (list: [string, OptionSchema][]) => {
    const groups = [...new Set(list.map(([, p]) => p['x-group']))];
    return groups.map((g) => (
      <fieldset>
        <legend>{g}</legend>
        {list.filter(([, p]) => p['x-group'] === g).map(([k, p]) => <Field name={k} p={p} value={values[k]} set={set(k)} />)}
      </fieldset>
    ));
  };
  const isBasic = ([k, p]: [string, OptionSchema]) => (only ? only.includes(k) : !p['x-advanced']);
  const basic = entries.filter(isBasic);
  const advanced = entries.filter((e) => !isBasic(e));
  return (
    <div class="schema-form">
      {render(basic)}
      {advanced.length > 0 && (
        <details class="advanced">
          <summary>Advanced options ({advanced.length})</summary>
          {render(advanced)}
        </details>
      )}
    </div>
  );
}

/** Keeps only the options the schema knows, with the right types (e.g. from a dropped PNG). */
export function fromStamp(schema: ObjectSchema, options: Record<string, unknown>): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(options)) {
    const p = schema.properties[k];
    if (!p) continue;
    if (p.type === 'array' && Array.isArray(v)) out[k] = v;
    else if (p.type === 'array' && typeof v === 'string') out[k] = v.split(',');
    else if ((p.type === 'number' || p.type === 'integer') && typeof v === 'number') out[k] = v;
    else if (p.type === 'boolean' && typeof v === 'boolean') out[k] = v;
    else if (p.type === 'string' && typeof v === 'string' && (!p.enum || p.enum.includes(v))) out[k] = v;
  }
  return out;
}
