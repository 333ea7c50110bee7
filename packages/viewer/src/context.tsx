// What the whole app shares, handed down through context rather than module globals: the API
// client and the dataset's description (fetched once).
import { createContext, createResource, useContext, type JSX, type Resource } from 'solid-js';
import { createApi, type Api, type DatasetInfo } from './api.ts';

const ApiContext = createContext<Api>();
const DatasetContext = createContext<Resource<DatasetInfo>>();

export function AppProviders(props: { api?: Api; children: JSX.Element }) {
  const api = props.api ?? createApi();
  const [dataset] = createResource(() => api.dataset());
  return (
    <ApiContext.Provider value={api}>
      <DatasetContext.Provider value={dataset}>{props.children}</DatasetContext.Provider>
    </ApiContext.Provider>
  );
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
