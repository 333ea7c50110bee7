// What the whole app shares, handed down through context rather than module globals: the API
// client, the dSprites grid's description (fetched once) and the model package's registries.
import { createContext, createResource, createSignal, useContext, type JSX, type Resource } from 'solid-js';
import { createApi, type Api, type DatasetInfo } from './api.ts';

const ApiContext = createContext<Api>();
const DatasetContext = createContext<Resource<DatasetInfo>>();
export type Registries = typeof import('./registries.ts');
const RegistriesContext = createContext<{ resource: Resource<Registries>; want(): void }>();

export function AppProviders(props: { api?: Api; children: JSX.Element }) {
  const api = props.api ?? createApi();
  const [dataset] = createResource(() => api.dataset());
  // The model package's group and data set registries, loaded once, when a view first asks (their
  // chunk holds the tensor core).
  const [wanted, setWanted] = createSignal(false);
  const [registries] = createResource(wanted, () => import('./registries.ts'));
  return (
    <ApiContext.Provider value={api}>
      <DatasetContext.Provider value={dataset}>
        <RegistriesContext.Provider value={{ resource: registries, want: () => setWanted(true) }}>{props.children}</RegistriesContext.Provider>
      </DatasetContext.Provider>
    </ApiContext.Provider>
  );
}

/** The group and data set registries: `resource` resolves once their chunk has loaded, after a first `want()`. */
export function useRegistries(): { resource: Resource<Registries>; want(): void } {
  const registries = useContext(RegistriesContext);
  if (!registries) throw new Error('useRegistries outside AppProviders');
  return registries;
}

/** Hands `api` to everything below (a run's page hands down its own client, aborted when it goes). */
export function ApiProvider(props: { api: Api; children: JSX.Element }) {
  return <ApiContext.Provider value={props.api}>{props.children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside AppProviders');
  return api;
}

export function useDataset(): Resource<DatasetInfo> {
  const dataset = useContext(DatasetContext);
  if (!dataset) throw new Error('useDataset outside AppProviders');
  return dataset;
}
