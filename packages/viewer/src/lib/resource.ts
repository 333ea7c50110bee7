// A resource whose request is cancelled when a newer one replaces it (or its view goes): the
// fetcher gets an AbortSignal, fired as soon as the source changes again. A superseded answer is
// never shown (Solid keeps only the newest), and a superseded request stops costing the network
// and, where the server or the decoder checks the signal, the work.
import { createResource, onCleanup, type Resource, type ResourceReturn } from 'solid-js';

export function createLatestResource<S, T>(source: () => S | false | null | undefined, fetcher: (query: S, signal: AbortSignal) => Promise<T>): ResourceReturn<T> {
  let controller: AbortController | null = null;
  onCleanup(() => controller?.abort());
  return createResource(source, (query: S) => {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    return fetcher(query, mine.signal);
  });
}

/**
 * A resource's value without throwing: undefined while it has none or when it failed (a failed
 * resource throws when read, and a read outside a guard would take the whole view down).
 */
export const current = <T,>(resource: Resource<T>): T | undefined => (resource.error === undefined ? resource.latest : undefined);
