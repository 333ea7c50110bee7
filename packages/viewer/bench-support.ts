// What the viewer benchmarks (bench.ts, bench-rotation.ts) share: their flags, the report table,
// a run to measure (given by --runs DIR --run ID, or trained for 2 steps into a temporary
// directory), the server over it and a headless Chromium, and tidying all of that away.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildViewer, hasChromium, launchChromium, median, serveRuns, train, type Server } from './test/harness.ts';

const args = process.argv.slice(2);

/** The value after `--name` on the command line, if given. */
export function flag(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** "median … ms (min …, max …; n moves)" for a list of timings. */
export const describeTimes = (t: number[]) => `median ${median(t).toFixed(0)} ms (min ${Math.min(...t).toFixed(0)}, max ${Math.max(...t).toFixed(0)}; ${t.length} moves)`;

const rows: [string, string][] = [];

/** Records one measure: printed to stderr now, and in the table at the end. */
export function report(what: string, value: string): void {
  rows.push([what, value]);
  console.error(`  ${what}: ${value}`);
}

/** Prints the measures as a Markdown table on stdout. */
export function printTable(): void {
  console.log('\n| measure | result |\n|---|---|');
  for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
}

export interface BenchRun {
  runId: string;
  server: Server;
  browser: Browser;
  /** Closes the browser, stops the server and removes the temporary runs. */
  close(): Promise<void>;
}

/**
 * Builds the viewer, then serves the run given by --runs/--run or, without --runs, trains one
 * (`trainArgs`, 2 steps) as `runId` in a temporary directory; opens Chromium. Exits with a message
 * when there is no Chromium.
 */
export async function openBenchRun(bench: string, defaultRunId: string, training: string, trainArgs: string[]): Promise<BenchRun> {
  if (!hasChromium()) {
    console.error(`${bench}: no Chromium at /usr/bin/chromium (apt-get install -y chromium)`);
    process.exit(1);
  }
  await buildViewer();
  let tmp = '';
  let runsDir = flag('runs');
  let runId = flag('run');
  if (!runsDir) {
    tmp = mkdtempSync(join(tmpdir(), `${bench.replace(/\s+/g, '-')}-`));
    runsDir = join(tmp, 'runs');
    runId = defaultRunId;
    console.error(`training ${training}…`);
    await train(join(runsDir, runId), ...trainArgs, '--steps', '2');
  }
  if (!runId) throw new Error('--run ID is needed with --runs');
  const server = await serveRuns(runsDir);
  const browser = await launchChromium();
  return {
    runId,
    server,
    browser,
    async close() {
      await browser.close();
      await server.stop();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}
