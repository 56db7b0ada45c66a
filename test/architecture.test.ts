/**
 * The folder tree is the architecture: the library never depends on its command line, and no
 * module of src/ imports itself back through others (type-only imports are erased and so
 * allowed to close a loop).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(new URL('../src', import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Run-time imports of a module, as resolved paths (`import type` and `export type` skipped). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue;
    out.push(path.resolve(path.dirname(file), m[3].replace(/\.js$/, '.ts')));
  }
  const dyn = /import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(dyn)) out.push(path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

const graph = new Map(files(SRC).map((f) => [f, runtimeImports(f)]));
const rel = (f: string) => path.relative(SRC, f);

test('the import scanner sees the imports it should', () => {
  const main = graph.get(path.join(SRC, 'cli/main.ts'))!;
  assert.ok(main.includes(path.join(SRC, 'cli/style.ts')), 'dynamic import of a command');
  const style = graph.get(path.join(SRC, 'cli/style.ts'))!;
  assert.ok(style.includes(path.join(SRC, 'style/stylize.ts')));
});

test('nothing outside src/cli imports from src/cli', () => {
  const bad: string[] = [];
  for (const [f, deps] of graph) {
    if (rel(f).startsWith('cli/')) continue;
    for (const d of deps) if (rel(d).startsWith('cli/')) bad.push(`${rel(f)} -> ${rel(d)}`);
  }
  assert.deepEqual(bad, []);
});

test('no import cycles in src/', () => {
  // Tarjan's strongly connected components: any component of two or more modules is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(rel(w));
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  const found = cycles.map((c) => c.join(' <-> '));
  assert.deepEqual(found, [], `import cycles: ${found.join('; ')}`);
});
