// No package has an import cycle. Type-only imports count: a cycle closed by one still ties the
// modules together (a reader cannot understand one without the other, and a later value import
// turns it into a load-order bug). The graph is read from the sources' relative import and export
// specifiers; Tarjan's algorithm finds the strongly connected components.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dir, '..');

function sources(dir: string, into: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, into);
    else if (/\.tsx?$/.test(entry) && !/\.d\.ts$/.test(entry)) into.push(path);
  }
  return into;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Each source file's relative imports that resolve to another source file of the set. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = [...readFileSync(file, 'utf8').matchAll(SPECIFIER)].map((m) => resolve(dirname(file), m[1] ?? m[2] ?? m[3]));
    graph.set(file, targets.filter((t) => known.has(t)));
  }
  return graph;
}

/** The strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import cycles', () => {
  test('the checker finds a cycle closed by a type-only import', () => {
    const [a, b, c] = ['/src/a.ts', '/src/b.ts', '/src/c.ts'];
    expect(cycles(new Map([[a, [b]], [b, [c]], [c, [a]]]))).toEqual([[a, b, c]]);
    expect(cycles(new Map([[a, [b]], [b, [c]], [c, []]]))).toEqual([]);
    const source = `import type { X } from './b.ts';\nexport { y } from "../c.ts";\nimport './side.ts';\nconst m = await import('./lazy.ts');`;
    expect([...source.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3])).toEqual(['./b.ts', '../c.ts', './side.ts', './lazy.ts']);
  });

  for (const pkg of readdirSync(join(root, 'packages'))) {
    test(`packages/${pkg} has none`, () => {
      const found = cycles(importGraph(sources(join(root, 'packages', pkg))));
      expect(found.map((component) => component.map((f) => relative(root, f)).join(' → '))).toEqual([]);
    });
  }
});
