// The reference docs against the code, both ways, so that they cannot drift apart: every flag each
// command's parser accepts (as its --help lists them) has a row in that command's flag table in
// docs/cli.md and every flag in those tables is accepted; every route the server's app serves is
// written in docs/api.md as `METHOD /api/...` and every such route in docs/api.md is served.
// The failure messages name the flag or route and the line to add or remove.
import { describe, expect, test } from 'bun:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createApp, createContext } from '@maga/cli';
import { cli, ROOT, tempDir } from './support/index.ts';

const tmp = tempDir('docs');

/** `--name` tokens at the start of --help's flag lines (--help itself is documented once, for every command). */
function helpFlags(help: string): string[] {
  return [...help.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map((m) => m[1]).filter((f) => f !== 'help');
}

/** The commands `cli --help` lists. */
function helpCommands(help: string): string[] {
  const section = help.split(/^commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]);
}

/** docs/cli.md's sections by command: "## `train`" and "## `experiment` (…)" start one. */
function docSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const part of markdown.split(/^## /m).slice(1)) {
    const m = /^`([a-z][a-z-]*)`/.exec(part);
    if (m) sections.set(m[1], part);
  }
  return sections;
}

/** The flags in the first cell of a section's table rows (`| \`--model maganet\|vae\` | … |`, `--a X`, `--b X` in one cell). */
function tableFlags(section: string): string[] {
  const flags: string[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `--')) continue;
    const firstCell = line.slice(1).split(/(?<!\\)\|/)[0];
    flags.push(...[...firstCell.matchAll(/`--([a-z0-9-]+)/g)].map((m) => m[1]));
  }
  return flags;
}

describe('docs/cli.md lists every flag of every command, and no other', async () => {
  const top = await cli(['--help']);
  const commands = helpCommands(top.stdout);
  const sections = docSections(fs.readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8'));

  test('cli --help lists the commands', () => {
    expect(top.code).toBe(0);
    expect(commands).toContain('train');
    expect(commands.length).toBeGreaterThanOrEqual(5);
  });

  test('every command has a section', () => {
    const missing = commands.filter((c) => !sections.has(c)).map((c) => `docs/cli.md has no section "## \`${c}\`" for the command ${c} (cli --help lists it)`);
    expect(missing).toEqual([]);
  });

  for (const command of commands) {
    test(command, async () => {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      const accepted = helpFlags(help.stdout);
      expect(accepted.length).toBeGreaterThan(0);
      const documented = tableFlags(sections.get(command) ?? '');
      const problems = [
        ...accepted.filter((f) => !documented.includes(f)).map((f) => `cli ${command} accepts --${f}, but the flag table under "## \`${command}\`" in docs/cli.md has no row for it: add | \`--${f} …\` | what it does | default |`),
        ...documented.filter((f) => !accepted.includes(f)).map((f) => `docs/cli.md documents --${f} under "## \`${command}\`", but cli ${command} does not accept it (cli ${command} --help): remove or rename that row`),
      ];
      expect(problems).toEqual([]);
    });
  }
});

describe('docs/api.md lists every route of the server, and no other', () => {
  test('the routes of createApp against the `METHOD /api/…` of docs/api.md', async () => {
    const runs = path.join(tmp, 'runs');
    fs.mkdirSync(runs);
    const app = createApp(await createContext({ runsDir: runs, backend: 'cpu', viewerDir: null }));
    // Middleware and the 404 catch-all are registered with wildcards; routes have none.
    const served = [...new Set(app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/') && !r.path.includes('*')).map((r) => `${r.method} ${r.path}`))];
    const markdown = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
    const documented = [...new Set([...markdown.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/api\/[^`\s?]*)/g)].map((m) => `${m[1]} ${m[2]}`))];
    expect(served.length).toBeGreaterThan(10);
    const problems = [
      ...served.filter((r) => !documented.includes(r)).map((r) => `the server serves ${r} (packages/cli/src/app.ts), but docs/api.md never writes \`${r}\`: document it (what it takes and returns, a curl example)`),
      ...documented.filter((r) => !served.includes(r)).map((r) => `docs/api.md documents \`${r}\`, but the server serves no such route: remove it or fix the path`),
    ];
    expect(problems).toEqual([]);
  });
});
