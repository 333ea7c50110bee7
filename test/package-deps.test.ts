// Every package.json declares what its code and tests import: each bare import (not node:/bun:
// built-ins, not relative) in a package's .ts/.tsx files — the root's test/ and bench/, and each of
// packages/* — is in that package.json's dependencies or devDependencies. Without this they work
// only while npm happens to hoist another package's dependency to the root.
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './support/cli.ts';

function sources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) return [];
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The package names a file imports: `from 'x'`, `import('x')`, `import 'x'`, with `@scope/name` and `name` from deeper paths. */
function imports(file: string): string[] {
  // Comments may quote imports; code never starts a line with //.
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)].map((m) => m[1]);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !s.startsWith('bun:') && s !== 'bun')
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]));
}

const PACKAGES: { name: string; dir: string; dirs: string[] }[] = [
  { name: 'the root (test/, bench/)', dir: ROOT, dirs: ['test', 'bench'] },
  ...fs.readdirSync(path.join(ROOT, 'packages')).map((p) => ({ name: `packages/${p}`, dir: path.join(ROOT, 'packages', p), dirs: ['.'] })),
];

describe('package.json declares every import', () => {
  for (const pkg of PACKAGES) {
    test(pkg.name, () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(pkg.dir, 'package.json'), 'utf8'));
      const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {}), manifest.name]);
      const files = pkg.dirs.flatMap((d) => sources(path.join(pkg.dir, d)));
      expect(files.length).toBeGreaterThan(0);
      const missing = new Set<string>();
      for (const file of files) for (const name of imports(file)) if (!declared.has(name)) missing.add(`${name} (imported by ${path.relative(ROOT, file)})`);
      expect([...missing], `add these to ${path.relative(ROOT, path.join(pkg.dir, 'package.json'))}`).toEqual([]);
    });
  }
});
