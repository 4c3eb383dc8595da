/**
 * The query API as the page calls it: below the UI's own base (`…/ui/` → `…/api/…`), with the read
 * key in `x-api-key`. Each failure becomes one of errors.ts's errors, worded for the page.
 */
import type { JaegerTrace } from '../../lambdas/query/jaeger/model.ts';
import {
  ApiAnswerError,
  KeyRefusedError,
  MissingKeyError,
  NetworkError,
  TraceNotFoundError,
} from './errors.ts';
import type { KeyStore } from './key-store.ts';
import type { DependencyLink } from './model/service-graph.ts';

export interface Operation {
  readonly name: string;
  readonly spanKind: string;
}

export interface SearchAnswer {
  readonly traces: readonly JaegerTrace[];
  /** Notes that came with the data: a partial search, traces dropped to fit the answer. */
  readonly notes: readonly string[];
}

interface Envelope<T> {
  readonly data?: T;
  readonly errors?: readonly { readonly code?: number; readonly msg?: string }[] | null;
  readonly message?: string;
}

export class QueryClient {
  readonly #base: URL;
  readonly #keys: KeyStore;

  /** `apiBase`: the URL the API's paths are below, e.g. `https://…/prod/`. */
  public constructor(apiBase: URL, keys: KeyStore) {
    this.#base = apiBase;
    this.#keys = keys;
  }

  public async services(): Promise<string[]> {
    return [...((await this.#get<string[]>('api/services')).data ?? [])].sort();
  }

  public async operations(service: string): Promise<Operation[]> {
    const path = `api/operations?service=${encodeURIComponent(service)}`;
    return [...((await this.#get<Operation[]>(path)).data ?? [])].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
  }

  public async search(params: URLSearchParams): Promise<SearchAnswer> {
    const answer = await this.#get<JaegerTrace[]>(`api/traces?${params}`);
    return { traces: answer.data ?? [], notes: (answer.errors ?? []).map((e) => e.msg ?? '') };
  }

  public async trace(traceId: string): Promise<JaegerTrace> {
    const answer = await this.#get<JaegerTrace[]>(`api/traces/${encodeURIComponent(traceId)}`, traceId);
    const trace = answer.data?.[0];
    if (!trace) throw new TraceNotFoundError(traceId);
    return trace;
  }

  public async dependencies(endMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    const path = `api/dependencies?endTs=${Math.trunc(endMs)}&lookback=${Math.trunc(lookbackMs)}`;
    return [...((await this.#get<DependencyLink[]>(path)).data ?? [])];
  }

  /** GET one path; `traceId` turns a 404 into TraceNotFoundError. */
  async #get<T>(path: string, traceId?: string): Promise<Envelope<T>> {
    const key = this.#keys.get();
    if (key === undefined) throw new MissingKeyError();
    let response: Response;
    try {
      response = await fetch(new URL(path, this.#base), {
        headers: { 'x-api-key': key, accept: 'application/json' },
        credentials: 'omit',
      });
    } catch (error) {
      throw new NetworkError(path, error);
    }
    const body = await envelopeOf<T>(response);
    if (response.ok) return body;
    if (response.status === 403) throw new KeyRefusedError();
    if (response.status === 404 && traceId !== undefined) throw new TraceNotFoundError(traceId);
    throw new ApiAnswerError(path.split('?')[0] ?? path, response.status, detailOf(body));
  }
}

async function envelopeOf<T>(response: Response): Promise<Envelope<T>> {
  try {
    return (await response.json()) as Envelope<T>;
  } catch {
    return {};
  }
}

function detailOf(body: Envelope<unknown>): string {
  const first = body.errors?.[0]?.msg;
  return typeof first === 'string' ? first : typeof body.message === 'string' ? body.message : '';
}
