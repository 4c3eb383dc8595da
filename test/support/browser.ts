/**
 * Headless Chromium for browser tests: the Chromium shipped inside the @sparticuz/chromium
 * devDependency (unpacked to /tmp on first use; nothing is downloaded), driven by puppeteer-core,
 * and a watch over a page that records what a page must never do under hostile data.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * The arguments Chromium runs with. @sparticuz/chromium's own defaults are tuned for Lambda and
 * weaken what browser tests are about: `--disable-web-security` turns CORS and the same-origin
 * policy off, `--allow-running-insecure-content` and `--disable-site-isolation-trials` relax
 * more, and `--single-process` crashes as soon as a second browser context (a fresh
 * sessionStorage for a test) is opened. So: its binary, a desktop browser's defaults, and only
 * what a container without a user namespace needs (no sandbox) and software GL.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--no-zygote',
  '--use-gl=angle',
  '--use-angle=swiftshader',
];

/**
 * Launches headless Chromium: `TRACESIFT_CHROMIUM` when set (Debian's `/usr/bin/chromium`, say),
 * else the binary inside @sparticuz/chromium (unpacked on first use; nothing is downloaded).
 */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: process.env.TRACESIFT_CHROMIUM ?? (await bundledChromium()),
    args: CHROMIUM_ARGS,
    headless: 'shell',
  });
}

async function bundledChromium(): Promise<string> {
  const chromium = (await import('@sparticuz/chromium')).default;
  return chromium.executablePath();
}

/** What a watched page did, filled in as it happens; each list is empty for a well-behaved page. */
export interface PageWatch {
  /** `<type>: <message>` of every dialog (alert, confirm, prompt, beforeunload), each dismissed. */
  readonly dialogs: string[];
  /** Text of every console message of type error (CSP violations are reported there too). */
  readonly consoleErrors: string[];
  /** Message of every uncaught exception and unhandled rejection in the page. */
  readonly pageErrors: string[];
  /** URL of every request whose origin is not the allowed one (data: URLs included: origin 'null'). */
  readonly foreignRequests: string[];
}

/**
 * Starts recording `page`'s dialogs, console errors, uncaught errors and requests to other origins
 * than `allowedOrigin`'s (an origin, or any URL of it).
 */
export function watchPage(page: Page, allowedOrigin: string): PageWatch {
  const allowed = originOf(allowedOrigin);
  const watch: PageWatch = { dialogs: [], consoleErrors: [], pageErrors: [], foreignRequests: [] };
  page.on('dialog', (dialog) => {
    watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    // A dialog left open blocks the page's script; the watch only records it.
    dialog.dismiss().catch((error: unknown) => watch.pageErrors.push(`dialog not dismissed: ${error}`));
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => {
    watch.pageErrors.push(error instanceof Error ? error.message : String(error));
  });
  page.on('request', (request) => {
    if (originOf(request.url()) !== allowed) watch.foreignRequests.push(request.url());
  });
  return watch;
}

/** The origin of a URL, 'null' for opaque ones (data:, about:) and for text that is no URL. */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : 'null';
}
