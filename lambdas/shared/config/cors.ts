/**
 * The `ingest.cors` section: the web origins whose pages may send spans from a browser (the
 * OpenTelemetry web SDK's OTLP/HTTP exporter, Grafana Faro's OTLP transport). Kept in its own
 * file, composed by schema.ts.
 */
import { z } from 'zod';

/**
 * An origin as browsers send it in the Origin header (RFC 6454 serialisation): lower case, no
 * default port, no path. The character set also keeps every origin a safe literal in the API
 * Gateway mapping template that compares against it (lib/ingest-api.ts).
 */
const SERIALISED_ORIGIN = /^https?:\/\/(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/** What is wrong with `value` as an allowed origin, or undefined when it is one. */
export function originProblem(value: string): string | undefined {
  const quoted = JSON.stringify(value);
  // Matched exactly, as the Origin header is: a wildcard would only ever match a page named "*".
  if (value.includes('*')) return `${quoted} has a wildcard; list each origin (scheme://host[:port])`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quoted} is not an origin (scheme://host[:port])`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${quoted} is not an http or https origin`;
  }
  if (url.origin !== value) {
    return (
      `${quoted} is not an origin as browsers send it (scheme://host[:port], lower case, no path, ` +
      `no trailing slash, no default port): write ${JSON.stringify(url.origin)}`
    );
  }
  if (!SERIALISED_ORIGIN.test(value)) {
    return `${quoted} has a character no host name has (letters, digits, '-', '_' and '.', or an IP address)`;
  }
  return undefined;
}

const origin = z.string().superRefine((value, ctx) => {
  const problem = originProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const corsConfigSchema = z
  .strictObject({
    /**
     * Origins (`https://app.example.com`, `http://localhost:5173`) whose pages may export spans
     * to the write routes: their preflight is answered without an API key and every answer to
     * them carries CORS headers. Empty: no CORS at all, as before.
     */
    allowedOrigins: z.array(origin).default([]),
  })
  .prefault({});

export type CorsConfig = z.output<typeof corsConfigSchema>;
