/**
 * The page shell: header (navigation, trace-id box, key), one alert region, and the current page
 * under it. Routing is the History API over addresses below the UI's base, so `/ui/trace/{id}` is a
 * link anyone can open. Every page render is awaited here: whatever it throws is shown in the
 * alert region with its message, and a missing or refused key brings up the key form instead.
 */
import type { QueryClient } from './api.ts';
import { renderDependenciesPage } from './dependencies-page.ts';
import { el, on, replaceChildren } from './dom.ts';
import { InvalidTraceIdError, KeyRefusedError, MissingKeyError, messageOf } from './errors.ts';
import type { KeyStore } from './key-store.ts';
import { type Route, routeOf, traceAddress, traceIdOf } from './model/route.ts';
import type { PageContext } from './page.ts';
import { renderSearchPage } from './search-page.ts';
import { renderTracePage } from './trace-page.ts';

export interface AppOptions {
  readonly root: HTMLElement;
  readonly api: QueryClient;
  readonly keys: KeyStore;
  readonly uiBase: URL;
  readonly now: () => number;
}

export function startApp(options: AppOptions): void {
  const { root, uiBase } = options;
  const alert = el('div', { class: 'alert', role: 'alert', 'aria-live': 'assertive', hidden: true });
  const main = el('main', { id: 'main', tabindex: -1 });
  let generation = 0;

  const showError = (error: unknown) => {
    replaceChildren(alert, el('strong', {}, 'Error: '), messageOf(error));
    alert.hidden = false;
  };
  const clearError = () => {
    alert.hidden = true;
    alert.replaceChildren();
  };

  const render = async () => {
    const mine = ++generation;
    clearError();
    const route = routeOf(new URL(location.href), uiBase);
    const context: PageContext = {
      api: options.api,
      uiBase,
      now: options.now,
      navigate,
      current: () => mine === generation,
    };
    try {
      await renderRoute(main, route, context);
    } catch (error) {
      if (!context.current()) return;
      if (error instanceof MissingKeyError || error instanceof KeyRefusedError) {
        if (error instanceof KeyRefusedError) options.keys.clear();
        replaceChildren(
          main,
          keyForm(options.keys, error, () => void render()),
        );
        return;
      }
      showError(error);
    }
  };

  function navigate(url: URL): void {
    history.pushState(null, '', url);
    void render();
  }

  root.append(header(options, navigate, showError), alert, main);
  window.addEventListener('popstate', () => void render());
  window.addEventListener('unhandledrejection', (event) => {
    event.preventDefault();
    showError(event.reason);
  });
  window.addEventListener('error', (event) => showError(event.error ?? event.message));
  // Links inside the UI are followed without reloading the page.
  root.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest?.('a[data-nav]');
    if (!(link instanceof HTMLAnchorElement) && !(link instanceof SVGAElement)) return;
    const mouse = event as MouseEvent;
    if (mouse.ctrlKey || mouse.metaKey || mouse.shiftKey || mouse.button !== 0) return;
    event.preventDefault();
    const href = link instanceof HTMLAnchorElement ? link.href : link.href.baseVal;
    navigate(new URL(href, document.baseURI));
  });
  void render();
}

function renderRoute(main: HTMLElement, route: Route, context: PageContext): Promise<void> {
  switch (route.page) {
    case 'search':
      return renderSearchPage(main, route.address, context);
    case 'trace':
      return renderTracePage(main, route.traceId, context);
    case 'dependencies':
      return renderDependenciesPage(main, route.address, context);
    case 'unknown':
      replaceChildren(
        main,
        el('h1', {}, 'Page not found'),
        el(
          'p',
          {},
          `Nothing here at "${route.path}". `,
          el('a', { href: './', 'data-nav': true }, 'Search traces'),
        ),
      );
      return Promise.resolve();
  }
}

function header(
  options: AppOptions,
  navigate: (url: URL) => void,
  showError: (e: unknown) => void,
): HTMLElement {
  const input = el('input', {
    id: 'trace-id-box',
    type: 'search',
    placeholder: 'Trace id',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': 'Trace id',
  });
  const form = on(
    el('form', { class: 'trace-id-form', role: 'search' }, input, el('button', { type: 'submit' }, 'Open')),
    {
      submit: (event) => {
        event.preventDefault();
        const traceId = traceIdOf(input.value);
        if (traceId === undefined) showError(new InvalidTraceIdError(input.value));
        else navigate(traceAddress(options.uiBase, traceId));
      },
    },
  );
  const forget = on(el('button', { type: 'button', class: 'link-button' }, 'Change key'), {
    click: () => {
      options.keys.clear();
      navigate(new URL(location.href));
    },
  });
  return el(
    'header',
    { class: 'top' },
    el('a', { class: 'brand', href: './', 'data-nav': true }, 'tracesift'),
    el(
      'nav',
      { 'aria-label': 'Pages' },
      el('a', { href: './', 'data-nav': true }, 'Search'),
      el('a', { href: 'dependencies', 'data-nav': true }, 'Service graph'),
    ),
    form,
    forget,
  );
}

/** The key form: a password field, kept for this tab only, then the page it interrupted again. */
function keyForm(keys: KeyStore, reason: Error, retry: () => void): HTMLElement {
  const input = el('input', { id: 'read-key', type: 'password', autocomplete: 'off', required: true });
  return on(
    el(
      'form',
      { class: 'key-form' },
      el('h1', {}, 'Read API key'),
      el('p', { class: 'key-reason', role: 'status' }, reason.message),
      el('label', { for: 'read-key' }, 'Read API key'),
      input,
      el(
        'p',
        { class: 'hint' },
        'Kept in this tab only (sessionStorage) and sent as x-api-key to the query API.',
      ),
      el('button', { type: 'submit' }, 'Use key'),
    ),
    {
      submit: (event) => {
        event.preventDefault();
        if (input.value.trim() === '') return;
        keys.set(input.value.trim());
        retry();
      },
    },
  );
}
