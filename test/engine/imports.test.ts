/**
 * The engine's layering, from the import graph of src/ (type-only imports left out: TypeScript
 * erases them): the ops do not know the lowerings' layouts. test/architecture.test.ts checks
 * the whole of src/ for cycles and for imports of src/cli.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const SRC = path.resolve(import.meta.dirname, '../../src');

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

test('ReLU and pooling know nothing of the blocked Winograd layout (a rewrite in lowering/ keeps it)', () => {
  const g = importGraph();
  for (const f of ['engine/ops/elementwise.ts', 'engine/ops/pool.ts']) {
    const lowering = (g.get(f) ?? []).filter((d) => d.startsWith(path.join('engine', 'lowering')));
    assert.deepEqual(lowering, [], `${f} imports ${lowering.join(', ')}`);
  }
});
