// The real server for the viewer's tests: `createApp` of @maga/cli over a temporary runs
// directory of tiny runs trained here (the tiny preset: seconds each), answered in-process (the
// client's fetch calls the app; no port). What the viewer's client and decoders are tested
// against is then what `cli serve` does, not a stand-in that can drift from it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApp, createContext, createReporter, createRunDir, planRun, train, type RunChoices, type ServerContext } from '@maga/cli';
import type * as T from '@maga/tensor';
import { createApi, type Api } from '../src/api.ts';

export interface RealApi {
  /** The viewer's client, talking to the app. */
  api: Api;
  /** The app's fetch (for requests the client does not make). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  runs: string;
  context: ServerContext;
  dispose(): void;
}

const quiet = createReporter({ quiet: true, output: { write: () => true } });

/**
 * Trains `runs` (name → the choices of `cli train`, on the tiny preset) into a temporary runs
 * directory and opens the app over it on `backend`.
 */
export async function startRealApi(runs: Record<string, RunChoices>, backend: T.BackendChoice = 'auto'): Promise<RealApi> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'viewer-api-'));
  const dir = path.join(tmp, 'runs');
  for (const [name, choices] of Object.entries(runs)) {
    createRunDir(path.join(dir, name), planRun({ preset: 'tiny', ...choices }));
    await train(path.join(dir, name), { backend, reporter: quiet });
  }
  const context = await createContext({ runsDir: dir, viewerDir: null, backend });
  const app = createApp(context);
  const fetchApp = async (url: string, init?: RequestInit) => app.fetch(new Request(url, init));
  return {
    api: createApi('http://viewer.test', fetchApp),
    fetch: (p, init) => fetchApp(`http://viewer.test${p}`, init),
    runs: dir,
    context,
    dispose() {
      context.models.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
