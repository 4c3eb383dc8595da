/** The UI's pages and the addresses below its base (`…/ui/`) that name them. */

export type Route =
  | { readonly page: 'search'; readonly address: URLSearchParams }
  | { readonly page: 'trace'; readonly traceId: string }
  | { readonly page: 'dependencies'; readonly address: URLSearchParams }
  | { readonly page: 'unknown'; readonly path: string };

/** The page an address shows; `uiBase` ends with `/ui/`. */
export function routeOf(url: URL, uiBase: URL): Route {
  const basePath = uiBase.pathname;
  const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname;
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return { page: 'search', address: url.searchParams };
  const [first, second] = segments;
  if (first === 'trace' && second !== undefined && segments.length === 2) {
    return { page: 'trace', traceId: safeDecode(second) };
  }
  if (first === 'dependencies' && segments.length === 1)
    return { page: 'dependencies', address: url.searchParams };
  return { page: 'unknown', path };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The address of a trace's page. */
export function traceAddress(uiBase: URL, traceId: string): URL {
  return new URL(`trace/${encodeURIComponent(traceId)}`, uiBase);
}

/** The address of the search page with a search's parameters. */
export function searchAddress(uiBase: URL, address: URLSearchParams): URL {
  const url = new URL(uiBase);
  url.search = address.toString();
  return url;
}

const TRACE_ID = /^[0-9a-f]{1,32}$/;

/** A trace id typed by a person, trimmed and lower-cased, or undefined when it is not one. */
export function traceIdOf(text: string): string | undefined {
  const id = text.trim().toLowerCase();
  return TRACE_ID.test(id) ? id : undefined;
}
