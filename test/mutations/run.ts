// `bun run test:mutations`: proves that the suite catches small bugs. Each mutation of
// mutations.ts is put, one at a time, into a temporary copy of the working tree (tracked and
// untracked files, never the tree itself); the test files named beside it run against that copy,
// and the mutation is killed when at least one test fails (and, where it lists backends, a test of
// each of those backends' suites fails). It prints a table and exits 1 if any mutation survived,
// or if one no longer applies (its text is missing or not unique: update the list).
//   bun run test:mutations                 every mutation
//   bun run test:mutations -- --only tanh  those whose name or family contains "tanh"
//   bun run test:mutations -- --list       the list, without running anything
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MUTATIONS, type Mutation } from './mutations.ts';

const ROOT = path.resolve(import.meta.dir, '../..');

interface Outcome {
  mutation: Mutation;
  verdict: 'killed' | 'survived' | 'stale' | 'error';
  /** Names of the failing tests (or why the mutation could not run). */
  failures: string[];
  /** Listed backends none of whose tests failed. */
  missedBackends: string[];
  seconds: number;
}

/** A copy of the working tree: its files, and a node_modules whose workspace packages are the copy's. */
function copyTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'maga-mutations-'));
  const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${ROOT}: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, file));
  }
  // Every installed package links to the original, except the workspace's own (@maga/*), which
  // must resolve to the mutated copy.
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '@maga') continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  fs.mkdirSync(path.join(modules, '@maga'));
  for (const pkg of fs.readdirSync(path.join(dir, 'packages'))) fs.symlinkSync(path.join('..', '..', 'packages', pkg), path.join(modules, '@maga', pkg));
  return dir;
}

function occurrences(text: string, find: string): number {
  let count = 0;
  for (let at = text.indexOf(find); at >= 0; at = text.indexOf(find, at + 1)) count++;
  return count;
}

function run(copy: string, mutation: Mutation): Outcome {
  const started = performance.now();
  const target = path.join(copy, mutation.file);
  const done = (verdict: Outcome['verdict'], failures: string[], missedBackends: string[] = []): Outcome => ({ mutation, verdict, failures, missedBackends, seconds: (performance.now() - started) / 1000 });
  if (!fs.existsSync(target)) return done('stale', [`${mutation.file} does not exist`]);
  const original = fs.readFileSync(target, 'utf8');
  const count = occurrences(original, mutation.find);
  if (count !== 1) return done('stale', [`the text to replace occurs ${count} times in ${mutation.file}, not once`]);
  fs.writeFileSync(target, original.replace(mutation.find, mutation.replace));
  try {
    const args = ['test', '--timeout', '120000', ...mutation.tests.map((t) => `./${t}`), ...(mutation.filter ? ['-t', mutation.filter] : [])];
    const result = spawnSync(process.execPath, args, { cwd: copy, encoding: 'utf8', maxBuffer: 256 * 2 ** 20, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    const output = `${result.stdout}\n${result.stderr}`;
    const failures = [...new Set(output.split('\n').filter((l) => l.startsWith('(fail)')).map((l) => l.replace(/^\(fail\) /, '').replace(/ \[[\d.]+m?s\]$/, '')))];
    if (result.status === 0) return done('survived', []);
    if (failures.length === 0) return done('error', [`bun test exited ${result.status ?? result.signal} with no failing test: ${output.trim().split('\n').slice(-3).join(' | ')}`]);
    const missed = (mutation.backends ?? []).filter((b) => !failures.some((f) => f.includes(`[${b}]`)));
    return done(missed.length ? 'survived' : 'killed', failures, missed);
  } finally {
    fs.writeFileSync(target, original);
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;
  const chosen = MUTATIONS.filter((m) => !only || m.name.includes(only) || m.family.includes(only));
  if (argv.includes('--list')) {
    for (const m of chosen) console.log(`${m.family.padEnd(14)} ${m.name}\n${''.padEnd(14)} ${m.file} → ${m.tests.join(', ')}${m.filter ? ` (-t ${m.filter})` : ''}`);
    return;
  }
  if (chosen.length === 0) throw new Error(`no mutation's name or family contains "${only}"`);
  const copy = copyTree();
  console.log(`test:mutations: ${chosen.length} mutation(s), each in a copy of the tree at ${copy}`);
  const outcomes: Outcome[] = [];
  try {
    for (const [i, m] of chosen.entries()) {
      const outcome = run(copy, m);
      outcomes.push(outcome);
      const mark = outcome.verdict === 'killed' ? 'killed' : outcome.verdict.toUpperCase();
      const by = outcome.verdict === 'killed' ? `by ${outcome.failures.length} test(s), e.g. ${outcome.failures[0]}` : outcome.missedBackends.length ? `no failing test on [${outcome.missedBackends.join('], [')}]` : outcome.failures.join('; ');
      console.log(`[${i + 1}/${chosen.length}] ${mark.padEnd(8)} ${m.name} (${outcome.seconds.toFixed(0)} s)${by ? `\n           ${by}` : ''}`);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
  const count = (v: Outcome['verdict']) => outcomes.filter((o) => o.verdict === v).length;
  console.log(`\n${count('killed')} killed, ${count('survived')} survived, ${count('stale')} stale, ${count('error')} errors, of ${outcomes.length}`);
  if (count('killed') !== outcomes.length) process.exitCode = 1;
}

main();
