/**
 * The YAML in the docs is what a reader copies: every block parses, and every OpenTelemetry
 * Collector configuration among them is complete (each pipeline names only components the file
 * defines, as the Collector checks at start).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const KINDS = ['receivers', 'processors', 'exporters', 'connectors'] as const;

function yamlBlocks(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((match) => match[1] ?? '');
}

type Section = Record<string, unknown> | undefined;

/** The components a Collector configuration's pipelines name but its top-level sections do not define. */
function undefinedComponents(config: Record<string, unknown>): string[] {
  const pipelines = ((config.service as Section)?.pipelines ?? {}) as Record<string, Section>;
  const missing: string[] = [];
  for (const [name, pipeline] of Object.entries(pipelines)) {
    for (const kind of KINDS) {
      const defined = (config[kind] ?? {}) as Record<string, unknown>;
      // A connector joins pipelines: it may stand as a receiver or an exporter.
      const connectors = (config.connectors ?? {}) as Record<string, unknown>;
      for (const id of (pipeline?.[kind] ?? []) as string[]) {
        const known = id in defined || ((kind === 'receivers' || kind === 'exporters') && id in connectors);
        if (!known) missing.push(`${name}: ${kind} ${id}`);
      }
    }
  }
  return missing;
}

function isCollectorConfig(config: unknown): config is Record<string, unknown> {
  return typeof config === 'object' && config !== null && 'service' in config;
}

describe('the YAML in the docs', () => {
  const blocks = DOCS.flatMap((file) => yamlBlocks(file).map((text, i) => ({ file, i, text })));

  it('holds the Collector configuration of docs/DEPLOY.md', ({ expect }) => {
    const collector = blocks.filter((b) => b.file === 'docs/DEPLOY.md' && isCollectorConfig(parse(b.text)));
    expect(collector).toHaveLength(1);
  });

  it.for(blocks.map((b) => [`${b.file} block ${b.i + 1}`, b.text] as const))(
    '%s parses, and its pipelines name only defined components',
    ([, text], { expect }) => {
      const config: unknown = parse(text);
      expect(config).toBeTypeOf('object');
      if (isCollectorConfig(config)) {
        expect(undefinedComponents(config)).toEqual([]);
        for (const kind of ['receivers', 'exporters'] as const) expect(config[kind]).toBeTypeOf('object');
      }
    },
  );
});

describe('undefinedComponents', () => {
  it('names a receiver a pipeline uses but the file does not define', ({ expect }) => {
    // Prepare: the configuration as docs/DEPLOY.md had it, without its receivers block
    const config = parse(`
exporters:
  otlphttp/tracesift:
    traces_endpoint: https://example.com/v1/traces
processors:
  batch: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp/tracesift]
`);
    // Act
    const missing = undefinedComponents(config);
    // Assess
    expect(missing).toEqual(['traces: receivers otlp']);
  });

  it('accepts a connector as the receiver of one pipeline and the exporter of another', ({ expect }) => {
    const config = parse(`
receivers: { otlp: {} }
exporters: { debug: {} }
connectors: { forward: {} }
service:
  pipelines:
    traces/in: { receivers: [otlp], exporters: [forward] }
    traces/out: { receivers: [forward], exporters: [debug] }
`);
    expect(undefinedComponents(config)).toEqual([]);
  });
});
