/**
 * GET and HEAD /ui and /ui/{proxy+}: the web UI's static files. `app.js` and `app.css` as built;
 * any other path without a file extension is a page of the single-page app (`/ui/trace/{id}`, a
 * deep link) and gets index.html, its `<base href="./">` made the absolute base of the UI as the
 * browser sees it, so the page's relative references resolve from any depth. Other paths are 404.
 *
 * Every answer, refusals included, carries a Content-Security-Policy that lets the page run only
 * its own script and style and talk only to its own origin (issue 19: trace data is whatever an
 * ingest key sent), and no Referer leaves the page (trace ids are in its URLs). Bodies are
 * revalidated on every use (no-cache with an ETag), so a deploy is seen at once and an unchanged
 * file costs a 304.
 */
import { ANSWER_HEADERS, acceptsGzip, type QueryResponse } from './encoding.ts';
import { UiFileNotFoundError, WebUiNotBuiltError } from './errors.ts';
import { checkReadMethod, errorBody, type QueryDeps, rejection, type TraceRequest } from './trace-by-id.ts';
import {
  BUILT_PAGE_BASE,
  NO_UI_ASSETS,
  UI_FILES,
  type UiAsset,
  type UiAssets,
  uiAssetOf,
} from './ui-assets.ts';

/** The resources of the UI (lib/query-api.ts WEB_UI_ROUTES): no API key needed to load the page. */
export const WEB_UI_RESOURCES: readonly string[] = ['/ui', '/ui/{proxy+}'];

export const WEB_UI_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

/** Headers of every answer of the UI's routes, besides ANSWER_HEADERS. */
export const WEB_UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': WEB_UI_CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
};

export async function serveWebUi(request: TraceRequest, deps: QueryDeps): Promise<QueryResponse> {
  try {
    checkReadMethod(request.method);
    return withUiHeaders(assetAnswer(request, uiAssetFor(request, deps.ui ?? NO_UI_ASSETS)));
  } catch (error) {
    return withUiHeaders(rejection(error, deps, errorBody));
  }
}

function uiAssetFor(request: TraceRequest, ui: UiAssets): UiAsset {
  if (ui.page === undefined) throw new WebUiNotBuiltError();
  const path = request.path.replace(/^\/ui(?:\/|$)/, '');
  const file = ui.files.get(path);
  if (file) return file;
  // A page of the app names no file: its last segment has no extension (and no `..` either).
  if (/\.[^/]*$/.test(path)) throw new UiFileNotFoundError(request.path);
  return uiAssetOf(UI_FILES['index.html'], pageWithBase(ui.page, uiBaseOf(request.pathPrefix)));
}

/**
 * The absolute path of the UI's folder under the prefix the browser's path has before the
 * resource path (the stage). The prefix comes from the request line, so it is made a harmless
 * same-origin path first: empty segments dropped (`//host` would be another origin), every
 * character outside RFC 3986's pchar percent-encoded (a `\` is a `/` to a browser).
 */
export function uiBaseOf(pathPrefix: string): string {
  const segments = pathPrefix
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) =>
      segment.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@%]/gu, (char) =>
        [...Buffer.from(char)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
      ),
    );
  return `${segments.map((segment) => `/${segment}`).join('')}/ui/`;
}

/** index.html with its base made `base` (escaped for an attribute value). */
export function pageWithBase(page: string, base: string): string {
  // A function, not a string: `$&` or `$'` in the base must not be read as replacement patterns.
  return page.replace(BUILT_PAGE_BASE, () => `<base href="${escapedAttribute(base)}">`);
}

function escapedAttribute(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

/** The asset's answer: 304 when the client holds it, gzipped when it accepts gzip, no body for HEAD. */
function assetAnswer(request: TraceRequest, asset: UiAsset): QueryResponse {
  const headers = {
    ...ANSWER_HEADERS,
    'content-type': asset.contentType,
    'cache-control': 'no-cache',
    etag: asset.etag,
    vary: 'Accept-Encoding',
  };
  if (holds(request.ifNoneMatch, asset.etag)) return { statusCode: 304, headers, body: '' };
  const gzip = acceptsGzip(request.acceptEncoding);
  const encoded = gzip ? { ...headers, 'content-encoding': 'gzip' } : headers;
  if (request.method === 'HEAD') return { statusCode: 200, headers: encoded, body: '' };
  return gzip
    ? { statusCode: 200, headers: encoded, body: asset.gzipBase64, isBase64Encoded: true }
    : { statusCode: 200, headers: encoded, body: asset.body };
}

/** If-None-Match's weak comparison (RFC 9110 13.1.2): any listed tag, or `*`, equal but for `W/`. */
function holds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

function withUiHeaders(response: QueryResponse): QueryResponse {
  return { ...response, headers: { ...response.headers, ...WEB_UI_HEADERS } };
}
