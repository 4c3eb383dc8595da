/** Entry of the web UI's bundle (ui/build.ts): wires the browser's globals into the app. */
import { QueryClient } from './api.ts';
import { startApp } from './app.ts';
import { adoptKeyFromFragment, sessionKeyStore } from './key-store.ts';

const uiBase = new URL('./', document.baseURI);
const keys = sessionKeyStore(sessionStorage);
adoptKeyFromFragment(keys, location, history);
const root = document.getElementById('app');
if (root) {
  startApp({ root, api: new QueryClient(new URL('../', uiBase), keys), keys, uiBase, now: () => Date.now() });
}
