/**
 * The read key the page sends, kept in sessionStorage: asked once per tab, gone when the tab closes,
 * never in a cookie (so no other site's page can make the browser send it). `npm start` prints the
 * UI's address with the key in the fragment (`/ui/#key=…`), which never reaches a server; the page
 * takes it from there once and removes it from the address bar and the history entry.
 */
const STORAGE_KEY = 'tracesift.readKey';

export interface KeyStore {
  get(): string | undefined;
  set(key: string): void;
  clear(): void;
}

export function sessionKeyStore(storage: Storage): KeyStore {
  return {
    get: () => storage.getItem(STORAGE_KEY) ?? undefined,
    set: (key) => storage.setItem(STORAGE_KEY, key),
    clear: () => storage.removeItem(STORAGE_KEY),
  };
}

/** Moves a `#key=…` fragment into the store and strips it from the address. */
export function adoptKeyFromFragment(keys: KeyStore, location: Location, history: History): void {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const key = fragment.get('key');
  if (key === null) return;
  if (key.trim() !== '') keys.set(key.trim());
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
}
