// The viewer's built files (packages/viewer/dist): a file when the path names one, else
// index.html so the single-page app's own router handles the path. Before the viewer is built, a
// small page says how to build it. Paths never leave the dist directory.
import * as fs from 'node:fs';
import * as path from 'node:path';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>maga server</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}code{background:#eee;padding:0 .3em}</style></head>
<body><h1>The viewer is not built yet</h1>
<p>Build it with <code>bun run build:viewer</code>, then reload this page.</p>
<p>The JSON API is already here: try <a href="/api/health"><code>/api/health</code></a> and
<a href="/api/runs"><code>/api/runs</code></a> (docs/api.md describes every route).</p>
</body></html>
`;

/** The response for a non-API GET path. */
export function viewerResponse(viewerDir: string | null, urlPath: string): Response {
  const html = { 'content-type': 'text/html; charset=utf-8' };
  if (!viewerDir || !fs.existsSync(path.join(viewerDir, 'index.html'))) return new Response(NOT_BUILT, { status: 200, headers: html });
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return new Response('bad path', { status: 400 });
  }
  const file = path.resolve(viewerDir, `.${path.posix.normalize(`/${decoded}`)}`);
  if (file.startsWith(viewerDir + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) return new Response(Bun.file(file));
  // A missing asset (a path with an extension) is a 404; any other path is a route of the app.
  if (path.extname(decoded) !== '') return new Response('not found', { status: 404 });
  return new Response(Bun.file(path.join(viewerDir, 'index.html')), { headers: html });
}
