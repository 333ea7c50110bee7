// Links a researcher shares, in real headless Chromium, over a fixture runs directory with one run
// of each kind: a MAGANet and a β-VAE on dSprites and a latent-action SO(2) run on rotated MNIST
// (tiny, trained), a flow-action C_4 run on contrast and a latent-action SO(3) run on objects3d
// (untrained, test/pair-runs.ts).
// - The link walk: for every pair of runs of different kinds and every view, the hash goes from
//   run A's view to run B's and back, as an edited address does: no page-wide failure, no error on
//   the page or the console, and every request after the change goes to the new run with its own
//   element's shape (a learned z of its size, one number per g, or a unit quaternion).
// - The route fuzz: unknown runs, malformed paths, bad and hostile query parameters, seeded random
//   ones: never a page-wide failure; a bad parameter is named in the view.
// - Captions: MAGANet's group-law verdicts name their bound and agree with the measured error; the
//   digit legend has ten distinct colours; a pair run's overview shows its per-bucket metrics.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { CHROMIUM, ROOT, buildViewer, hasChromium, launchChromium, numberAttr, serveRuns, train, type Server } from '../packages/viewer/test/harness.ts';
import { writePairRun } from './support/index.ts';

const SHOTS = join(ROOT, 'test-output/viewer');
const chromiumThere = hasChromium();
if (!chromiumThere) console.warn(`viewer link e2e: SKIPPED — no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

/** The fixture's runs and the element each decode takes: a learned z of `size` numbers, or a known g (one number, or a quaternion). */
const RUNS = [
  { id: 'maganet', element: 'z', size: 10 },
  { id: 'vae', element: 'z', size: 10 },
  { id: 'rot', element: 'g', size: 1 },
  { id: 'contrast', element: 'g', size: 1 },
  { id: 'obj', element: 'g', size: 4 },
] as const;
/**
 * The pair sets' baselines with no latent of their own (science's rotate-x: x turned in pixel space;
 * copy-x: x copied) and Winter et al.'s (a canonical decode turned in pixel space): not in the link
 * walk (each view of each is opened instead), they must not take down any view.
 */
const BASELINES = [
  { id: 'rotate-x', element: 'g', size: 1 },
  { id: 'copy-x', element: 'g', size: 4 },
  { id: 'winter', element: 'g', size: 1 },
] as const;
type RunId = (typeof RUNS)[number]['id'] | (typeof BASELINES)[number]['id'];
const VIEWS = ['', '/traversal', '/element', '/recombination', '/group-laws', '/map'];

describe.skipIf(!chromiumThere)('shared links in headless Chromium', () => {
  let tmp = '';
  let server: Server;
  let browser: Browser;
  let page: Page;
  /** Errors on the console or uncaught, with the address they happened at. */
  const errors: string[] = [];
  /** API requests since the last `mark()`: run id, path, body. */
  let requests: { run: string | null; path: string; method: string; body: unknown }[] = [];

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const mark = () => {
    requests = [];
    errors.length = 0;
  };
  /** Waits until nothing on the page is loading (no spinner for a moment), then returns. */
  const settle = async () => {
    for (let quiet = 0; quiet < 2; quiet++) {
      await page.waitForFunction(() => document.querySelectorAll('.spinner').length === 0, null, { timeout: 120_000 });
      await page.waitForTimeout(250);
    }
  };
  const go = async (hash: string) => {
    await page.evaluate((h) => (location.hash = h), hash);
    await settle();
  };
  /** No page-wide failure and no error anywhere. */
  const expectHealthy = async (where: string) => {
    expect({ where, failed: await page.getByText('This view failed').count() }).toEqual({ where, failed: 0 });
    expect({ where, notes: await page.locator('.error-note').allTextContents() }).toEqual({ where, notes: [] });
    expect({ where, errors: [...errors] }).toEqual({ where, errors: [] });
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tmp = mkdtempSync(join(tmpdir(), 'viewer-links-e2e-'));
    const runs = join(tmp, 'runs');
    await Promise.all([
      buildViewer(),
      train(join(runs, 'maganet'), '--preset', 'tiny'),
      train(join(runs, 'vae'), '--preset', 'tiny', '--model', 'vae'),
      train(join(runs, 'rot'), '--model', 'latent-action', '--preset', 'tiny', '--dataset', 'rotated-mnist', '--group', 'so2'),
    ]);
    await Promise.all([
      train(join(runs, 'rotate-x'), '--model', 'rotate-x', '--dataset', 'rotated-mnist', '--group', 'c4'),
      train(join(runs, 'copy-x'), '--model', 'copy-x', '--dataset', 'objects3d', '--group', 'so3'),
      train(join(runs, 'winter'), '--model', 'winter', '--preset', 'tiny', '--dataset', 'rotated-mnist', '--group', 'so2'),
    ]);
    await writePairRun(runs, 'contrast', { model: 'flow-action', dataset: 'contrast', group: 'c4' });
    await writePairRun(runs, 'obj', { dataset: 'objects3d', group: 'so3' });
    // The fixture's sizes are what the runs say (a preset that changes them changes this table).
    for (const r of RUNS.filter((r) => r.element === 'z')) expect(JSON.parse(readFileSync(join(runs, r.id, 'config.json'), 'utf8')).model.latentDim).toBe(r.size);
    server = await serveRuns(runs);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${page.url()}: uncaught ${e.message}`));
    page.on('request', (r: Request) => {
      const url = new URL(r.url());
      if (!url.pathname.startsWith('/api/')) return;
      const run = /^\/api\/runs\/([^/]+)\//.exec(url.pathname)?.[1] ?? null;
      let body: unknown = null;
      try {
        body = r.postData() ? JSON.parse(r.postData()!) : null;
      } catch {
        body = r.postData();
      }
      requests.push({ run: run && decodeURIComponent(run), path: url.pathname, method: r.method(), body });
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Every request since `mark()` for a run went to `id`, and each decode or law sent `id`'s own element. */
  const expectRequestsFor = (id: RunId, where: string) => {
    const spec = [...RUNS, ...BASELINES].find((r) => r.id === id)!;
    const forRuns = requests.filter((r) => r.run !== null);
    expect({ where, others: forRuns.filter((r) => r.run !== id).map((r) => `${r.method} ${r.path}`) }).toEqual({ where, others: [] });
    for (const r of forRuns.filter((r) => r.method === 'POST' && /\/(decode|group-laws)$/.test(r.path))) {
      const body = r.body as Record<string, unknown>;
      const elements = r.path.endsWith('/decode') ? ((spec.element === 'z' ? body.z : body.g) as unknown[]) : [spec.element === 'z' ? body.z1 : body.g1, spec.element === 'z' ? body.z2 : body.g2];
      expect({ where, path: r.path, keys: Object.keys(body).filter((k) => k !== 'pivot').sort() }).toEqual({
        where,
        path: r.path,
        keys: r.path.endsWith('/decode') ? [spec.element] : spec.element === 'z' ? ['z1', 'z2'] : ['g1', 'g2'],
      });
      for (const e of elements) {
        if (spec.element === 'z' || spec.size === 4) expect({ where, length: (e as unknown[]).length }).toEqual({ where, length: spec.size });
        else expect({ where, type: typeof e }).toEqual({ where, type: 'number' });
      }
    }
  };

  test('the link walk: every pair of runs of different kinds, every view, by an edited address', async () => {
    // Decoding through the server: every decode is a request whose run and element can be checked.
    await page.goto(`${server.url}/#/runs/maganet?decoder=server&count=60`);
    await settle();
    let transitions = 0;
    for (let i = 0; i < RUNS.length; i++) {
      for (let j = i + 1; j < RUNS.length; j++) {
        const [a, b] = [RUNS[i].id, RUNS[j].id];
        for (const view of VIEWS) {
          for (const [from, to] of [
            [a, b],
            [b, a],
          ] as const) {
            await go(`/runs/${from}${view}?decoder=server&count=60`);
            mark();
            await go(`/runs/${to}${view}?decoder=server&count=60`);
            const where = `${from}${view || '/'} → ${to}${view || '/'}`;
            await expectHealthy(where);
            expectRequestsFor(to, where);
            expect(await page.locator('h1').textContent()).toBe(to);
            transitions++;
          }
        }
      }
    }
    expect(transitions).toBe(10 * VIEWS.length * 2);
  }, 1_200_000);

  test("decoding in the browser: a switch never hands the new run the old run's model", async () => {
    // The cases that crashed: MAGANet's group laws → an SO(2) run's element; SO(2) → SO(3).
    await page.goto(`${server.url}/#/runs/maganet/group-laws?decoder=auto`);
    await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 120_000 });
    await settle();
    for (const [to, ready] of [
      ['rot', '[data-testid="element-live"]:not(.stale)'],
      ['obj', '[data-testid="element-live"]:not(.stale)'],
      ['maganet', '[data-testid="law-composition"]'],
    ] as const) {
      mark();
      await page.evaluate((h) => (location.hash = h), `/runs/${to}/${to === 'maganet' ? 'group-laws' : 'element'}`);
      await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 120_000 });
      await page.waitForSelector(ready, { timeout: 120_000 });
      await settle();
      await expectHealthy(`→ ${to} (in the browser)`);
      expectRequestsFor(to, `→ ${to} (in the browser)`);
    }
  }, 600_000);

  test('models with no latent (rotate-x, copy-x) and Winter et al.: every view opens, or says why it does not apply', async () => {
    await page.goto(`${server.url}/#/runs`);
    await settle();
    for (const { id } of BASELINES) {
      for (const view of VIEWS) {
        const where = `${id}${view || '/'}`;
        await go(`/runs/${id}${view}?decoder=server&count=60`);
        // Opened afresh from another run, as a shared link is: what it shows is this run's alone.
        await go(`/runs/rot${view}?decoder=server&count=60`);
        mark();
        await go(`/runs/${id}${view}?decoder=server&count=60`);
        await expectHealthy(where);
        expectRequestsFor(id, where);
        expect(await page.locator('h1').textContent()).toBe(id);
        // Each view shows its content or a note saying why it does not apply, with a way on.
        const main = page.locator('main.page');
        expect({ where, shown: (await main.count()) > 0 && ((await main.first().textContent()) ?? '').trim().length > 0 }).toEqual({ where, shown: true });
      }
      // The laws are stated for what the model does: an operation on pixels (rotate-x, copy-x), or chained through its encoder (Winter).
      await go(`/runs/${id}/group-laws?decoder=server`);
      await page.getByTestId('law-inverse').waitFor({ timeout: 120_000 });
      expect(await page.getByTestId('laws').getAttribute('data-hold')).toBe(id === 'winter' ? 'latent' : 'pixels');
      for (const law of ['identity', 'composition', 'inverse']) expect(Number.isFinite(await numberAttr(page.getByTestId(`law-${law}`), 'data-error'))).toBe(true);
      if (id === 'copy-x') for (const law of ['identity', 'composition', 'inverse']) expect(await page.getByTestId(`law-${law}`).getAttribute('data-verdict')).toBe('rounding');
      await shot(`links-${id}-laws`);
    }
    // The menus mark the views that show a run nothing of its own, saying why (the link still opens the view's own note).
    const unavailable = async (id: string) => {
      await go(`/runs/${id}?decoder=server`);
      return Object.fromEntries(await page.locator('nav.tabs a[data-unavailable]').evaluateAll((els) => els.map((e) => [e.getAttribute('href')!.replace(/^.*\//, ''), e.getAttribute('data-unavailable')!])));
    };
    const rotateX = await unavailable('rotate-x');
    expect(Object.keys(rotateX)).toEqual(['recombination']);
    expect(rotateX.recombination).toContain('no transformation to transfer');
    expect(Object.keys(await unavailable('vae'))).toEqual(['group-laws']);
    expect(await unavailable('maganet')).toEqual({});
    // In the browser too: the element view decodes D(g, x) on WebGPU for a model whose output is pixels.
    await go('/runs/rotate-x/element?decoder=auto');
    await page.waitForSelector('[data-testid="decoder-indicator"][data-decoder="webgpu"]', { timeout: 120_000 });
    await page.waitForSelector('[data-testid="element-live"]:not(.stale)', { timeout: 120_000 });
    await settle();
    await expectHealthy('rotate-x/element (in the browser)');
  }, 900_000);

  test('the route fuzz: malformed addresses and parameters never take the page down', async () => {
    const cases: { hash: string; problem?: string; missing?: boolean }[] = [
      { hash: '/runs/no-such-run', missing: true },
      { hash: '/runs/no-such-run/element?g=1', missing: true },
      { hash: '/runs/maganet/map?compare=rot&count=60', problem: 'compare=rot' },
      { hash: '/runs/maganet/map?compare=no-such-run&count=60', problem: 'compare=no-such-run' },
      { hash: '/runs/rot/element?g=1e999', problem: 'g=1e999' },
      { hash: '/runs/rot/element?g=NaN&x=-4', problem: 'g=NaN' },
      { hash: '/runs/contrast/element?g=9', problem: 'g=9' },
      { hash: '/runs/obj/element?g=2,0,0,0', problem: 'g=2,0,0,0' },
      { hash: '/runs/obj/group-laws?g1=nope&g2=1,0,0', problem: 'g1=nope' },
      { hash: '/runs/maganet/map?count=99999999999&colour=nothing', problem: 'count=99999999999' },
      { hash: '/runs/vae/map?count=NaN&part=everything&count=5', problem: 'count=NaN' },
      { hash: '/runs/maganet/traversal?pivot=737280&offsets=9,9&grid=1000', problem: 'pivot=737280' },
      { hash: '/runs/maganet/recombination?targets=1,2,x&mode=dance', problem: 'targets=1,2,x' },
      { hash: '/runs/maganet/group-laws?a=-1&b=1.5', problem: 'a=-1' },
      { hash: '/runs/rot/recombination?seed=-3', problem: 'seed=-3' },
      { hash: '/runs/maganet?decoder=gpu', problem: 'decoder=gpu' },
      { hash: '/runs/maganet/nowhere' },
      // The router reads '//' as '/': this is run 'element', which this server does not have.
      { hash: '/runs//element', missing: true },
      { hash: '/runs/%00/map' },
      { hash: '/runs/../../etc/passwd' },
      { hash: `/runs/maganet/element?g=${'9'.repeat(5000)}` },
      { hash: '/whatever?x=1' },
    ];
    // Seeded random ones: a run, a view and a few parameters with hostile values.
    let seed = 20_231;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    const keys = ['g', 'g1', 'g2', 'x', 'pivot', 'varying', 'a', 'b', 'count', 'compare', 'colour', 'part', 'offsets', 'grid', 'targets', 'mode', 'seed', 'renderer', 'decoder'];
    const values = ['-1', 'NaN', 'Infinity', '1e308', '0', '3', '1,0,0,0', '0.5,0.5,0.5,0.5', '', '%', '<script>', 'rot', 'maganet', '9'.repeat(40), '2.5', ' 7 ', '[]'];
    for (let k = 0; k < 24; k++) {
      const params = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${pick(keys)}=${encodeURIComponent(pick(values))}`);
      cases.push({ hash: `/runs/${pick(RUNS).id}${pick(VIEWS)}?decoder=server&${params.join('&')}` });
    }
    await page.goto(`${server.url}/#/runs`);
    for (const c of cases) {
      mark();
      await go(c.hash);
      const where = `#${c.hash.slice(0, 80)}`;
      expect({ where, failed: await page.getByText('This view failed').count() }).toEqual({ where, failed: 0 });
      // An unknown run is a 404 the browser logs; nothing else may reach the console.
      const unexpected = errors.filter((e) => !(c.missing && /status of 404/.test(e)));
      expect({ where, errors: unexpected }).toEqual({ where, errors: [] });
      if (c.missing) {
        await page.getByTestId('run-missing').waitFor({ timeout: 10_000 });
        expect(await page.getByTestId('run-missing').getByRole('link', { name: 'See the runs this server has' }).count()).toBe(1);
      }
      if (c.problem) expect({ where, text: (await page.getByTestId('link-problems').allTextContents()).join(' ').includes(c.problem) }).toEqual({ where, text: true });
    }
    // The note's button drops the bad parameters, and the view goes on.
    await go('/runs/rot/element?decoder=server&g=abc');
    await page.getByTestId('link-problems').getByRole('button').click();
    await settle();
    expect(page.url()).not.toContain('g=abc');
    expect(await page.getByTestId('link-problems').count()).toBe(0);
    await shot('links-fuzz');
  }, 600_000);

  test('captions and legends: verdicts against their bounds, ten digit colours, per-bucket metrics', async () => {
    await page.goto(`${server.url}/#/runs/maganet/group-laws?decoder=server`);
    await page.getByTestId('law-inverse').waitFor({ timeout: 120_000 });
    await settle();
    const caption = (await page.getByTestId('laws-caption').textContent())!;
    expect(caption).toContain('ℓ-space');
    expect(caption).not.toContain('pixel space');
    for (const law of ['identity', 'composition', 'inverse']) {
      const card = page.getByTestId(`law-${law}`);
      const error = await numberAttr(card, 'data-error');
      // The bounds, written apart from the viewer's: float32 rounding 2⁻¹⁷, tolerance 1e-3.
      const expected = error <= 2 ** -17 ? 'rounding' : error <= 1e-3 ? 'tolerance' : 'fails';
      expect(await card.getAttribute('data-verdict')).toBe(expected);
      const verdict = (await page.getByTestId(`law-${law}-verdict`).textContent())!;
      expect(verdict).toContain(error.toExponential(2));
      expect(verdict).toContain(expected === 'rounding' ? 'float32 rounding (≤ 7.6e-6)' : expected === 'tolerance' ? 'within 1.0e-3' : 'does not hold within 1.0e-3');
    }
    // One scale for the three maps: its end is the largest difference shown.
    expect(await numberAttr(page.getByTestId('difference-scale'), 'data-max')).toBeGreaterThanOrEqual(0);
    await shot('links-maganet-laws');

    await go('/runs/rot/group-laws?decoder=server');
    expect(await page.getByTestId('laws').getAttribute('data-hold')).toBe('latent');
    expect(await page.getByTestId('law-composition').getAttribute('data-verdict')).toBe('measured');

    await go('/runs/rot/map?count=200&colour=digit');
    await page.waitForSelector('[data-testid="map-panel"][data-points="200"]', { timeout: 120_000 });
    const colours = await page.getByTestId('legend-class').locator('.swatch').evaluateAll((els) => els.map((e) => e.getAttribute('data-colour')));
    expect(colours).toHaveLength(10);
    expect(new Set(colours).size).toBe(10);
    await go('/runs/rot/map?count=200&colour=angle');
    expect(await page.getByTestId('legend-wheel').count()).toBe(1);
    expect(await page.getByTestId('legend').textContent()).not.toContain('radians');
    await go('/runs/rot/map?count=200&colour=index');
    expect(await page.getByTestId('legend-bar').count()).toBe(1);

    await go('/runs/rot');
    const buckets = page.getByTestId('buckets-test');
    await buckets.waitFor();
    expect(await buckets.locator('tbody tr').count()).toBe(8);
    expect(await buckets.locator('tbody tr').first().getAttribute('data-bucket')).toBe('0–45°');
    // Tick labels on each chart are distinct.
    for (const chart of await page.locator('[data-testid^="chart-"] svg').all()) {
      for (const axis of ['end', 'middle']) {
        const labels = await chart.locator(`.grid text[text-anchor="${axis}"]`).allTextContents();
        expect(labels.length).toBeGreaterThan(0);
        expect(new Set(labels).size).toBe(labels.length);
      }
    }
    await shot('links-rot-overview');
    // An untrained run says so.
    await go('/runs/obj');
    expect(await page.getByTestId('training-note').textContent()).toContain('Step 0 of 1');
  }, 300_000);
});
