/** Numpy broadcasting, shared by every elementwise op and its gradient. */
import { GraphError, fmtShape, type Shape } from '../graph.js';

export function broadcastShapes(op: string, shapes: readonly Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let d = 1;
    for (const s of shapes) {
      const v = s.length - rank + k >= 0 ? s[s.length - rank + k] : 1;
      if (v === 1) continue;
      if (d !== 1 && v !== d) {
        throw new GraphError(`${op}: shapes ${shapes.map(fmtShape).join(' and ')} do not broadcast`);
      }
      d = v;
    }
    out.push(d);
  }
  return out;
}

/** The axes (of `full`) that broadcasting expanded `small` along, keeping rank alignment. */
export function broadcastAxes(small: Shape, full: Shape): { lead: number; axes: number[] } {
  const lead = full.length - small.length;
  const axes: number[] = [];
  for (let k = 0; k < full.length; k++) {
    if (k < lead) axes.push(k);
    else if (small[k - lead] === 1 && full[k] !== 1) axes.push(k);
  }
  return { lead, axes };
}
