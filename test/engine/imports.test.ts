/**
 * The import graph of src/: no cycles (a module must be able to load before the modules that
 * use it; cycles also hide which layer owns what), and the library does not depend on its
 * command line (src/cli). Type-only imports are left out: TypeScript erases them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * Files outside src/cli that still import src/cli. TODO(#11): src/gan/options.ts imports
 * src/cli/args.ts; the option schemas on main remove it, and this list must then be empty.
 */
export const CLI_IMPORT_ALLOWED: readonly string[] = ['gan/options.ts'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers a file loads at run time (static imports and re-exports). */
export function runtimeImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      if (c?.isTypeOnly) continue;
      // `import { type A, type B }` without a default import is erased as well.
      const named = c?.namedBindings;
      if (c && !c.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)) continue;
      out.push((st.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
      const ex = st.exportClause;
      if (ex && ts.isNamedExports(ex) && ex.elements.length > 0 && ex.elements.every((e) => e.isTypeOnly)) continue;
      out.push((st.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out.filter((s) => s.startsWith('.'));
}

function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  throw new Error(`${path.relative(SRC, from)}: cannot resolve '${spec}'`);
}

/** src-relative file -> src-relative files it imports at run time. */
export function importGraph(root = SRC): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sourceFiles(root)) {
    const deps = runtimeImports(f, fs.readFileSync(f, 'utf8')).map((s) => resolve(f, s)).filter((d) => d.startsWith(root + path.sep));
    g.set(path.relative(root, f), deps.map((d) => path.relative(root, d)));
  }
  return g;
}

/** Every strongly connected component with more than one file (or a file importing itself). */
export function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
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
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('the cycle finder finds a cycle and passes a DAG (so the test below can fail)', () => {
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
  assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
  assert.deepEqual(runtimeImports('x.ts', "import type { A } from './a.js';\nimport { type B } from './b.js';\nimport { C } from './c.js';\nexport * from './d.js';"), ['./c.js', './d.js']);
});

test('src/ has no import cycles', () => {
  const found = cycles(importGraph());
  assert.deepEqual(found, [], `import cycles in src/:\n${found.map((c) => c.join(' <-> ')).join('\n')}`);
});

test('nothing outside src/cli imports src/cli (except the listed files, being removed)', () => {
  const offenders = [...importGraph()]
    .filter(([f, deps]) => !f.startsWith(`cli${path.sep}`) && deps.some((d) => d.startsWith(`cli${path.sep}`)))
    .map(([f]) => f)
    .sort();
  assert.deepEqual(offenders, [...CLI_IMPORT_ALLOWED].sort());
});

test('ReLU and pooling know nothing of the blocked Winograd layout (a rewrite in lowering/ keeps it)', () => {
  const g = importGraph();
  for (const f of ['engine/ops/elementwise.ts', 'engine/ops/pool.ts']) {
    const lowering = (g.get(f) ?? []).filter((d) => d.startsWith(path.join('engine', 'lowering')));
    assert.deepEqual(lowering, [], `${f} imports ${lowering.join(', ')}`);
  }
});
