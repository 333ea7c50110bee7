// The viewer's routes. Hash routing keeps every view a shareable link whatever the server does
// with unknown paths: #/runs, #/runs/:id, #/runs/:id/traversal?pivot=…&varying=…, and so on.
import { A, HashRouter, Navigate, Route, useLocation, type RouteSectionProps } from '@solidjs/router';
import { ErrorBoundary, Show, createEffect, createResource, on, type JSX } from 'solid-js';
import { AppProviders, useApi } from './context.tsx';
import { ErrorNote } from './components/status.tsx';
import { GroupElementView } from './views/GroupElementView.tsx';
import { GroupLawsView } from './views/GroupLawsView.tsx';
import { LatentMapView } from './views/LatentMapView.tsx';
import { RecombinationView } from './views/RecombinationView.tsx';
import { RunLayout } from './views/RunLayout.tsx';
import { RunOverview } from './views/RunOverview.tsx';
import { RunsPage } from './views/RunsPage.tsx';
import { TraversalView } from './views/TraversalView.tsx';

export function App() {
  return (
    <AppProviders>
      <HashRouter root={Shell}>
        <Route path="/" component={() => <Navigate href="/runs" />} />
        <Route path="/runs" component={RunsPage} />
        <Route path="/runs/:id" component={RunLayout}>
          <Route path="/" component={RunOverview} />
          <Route path="/traversal" component={TraversalView} />
          <Route path="/element" component={GroupElementView} />
          <Route path="/recombination" component={RecombinationView} />
          <Route path="/group-laws" component={GroupLawsView} />
          <Route path="/map" component={LatentMapView} />
        </Route>
        <Route path="*" component={NotFound} />
      </HashRouter>
    </AppProviders>
  );
}

function Shell(props: RouteSectionProps): JSX.Element {
  const api = useApi();
  const [health] = createResource(() => api.health().catch(() => null));
  return (
    <>
      <a class="skip-link" href="#content" onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}>
        Skip to content
      </a>
      <header class="app-header">
        <A href="/runs" class="brand">
          MAGA viewer
        </A>
        <span class="muted small tagline">group actions in latent space</span>
        <Show when={health()}>
          {(h) => (
            <span class="muted small server-info" title={h().device}>
              server: {h().backend} · v{h().version}
            </span>
          )}
        </Show>
      </header>
      <div id="content" tabindex="-1">
        <ErrorBoundary fallback={(error, reset) => <ViewFailed error={error} reset={reset} />}>{props.children}</ErrorBoundary>
      </div>
    </>
  );
}

/**
 * A view that threw: what it said, a way back, and a fresh start as soon as the address changes
 * (a failure in one view must not hold the next one the user opens).
 */
function ViewFailed(props: { error: unknown; reset: () => void }) {
  const location = useLocation();
  createEffect(on(() => `${location.pathname}?${location.search}`, () => props.reset(), { defer: true }));
  return (
    <main class="page">
      <ErrorNote error={props.error} title="This view failed" retry={props.reset} />
      <p>
        <A href="/runs">Back to the runs</A>
      </p>
    </main>
  );
}

function NotFound() {
  return (
    <main class="page">
      <h1>Not found</h1>
      <p>
        There is no view at this address. <A href="/runs">See the runs</A>.
      </p>
    </main>
  );
}
