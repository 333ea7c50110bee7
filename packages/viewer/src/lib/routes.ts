// The viewer's addresses (hash routes), made in one place.

/** A run's view: '' (overview), '/traversal', '/element', '/recombination', '/group-laws', '/map'. */
export const runHref = (id: string, view = '') => `/runs/${encodeURIComponent(id)}${view}`;
