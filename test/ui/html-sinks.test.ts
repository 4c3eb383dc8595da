/**
 * The UI never turns text into markup or code: no source under ui/src uses an HTML or script sink.
 * Trace data is shown through text nodes and attribute values only (ui/src/dom.ts); the browser
 * test (test/e2e/web-ui.test.ts) proves it with hostile spans, and this keeps the sinks from
 * coming back in a page the browser test does not open.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const UI_SOURCES = fileURLToPath(new URL('../../ui/src/', import.meta.url));

const SINKS = [
  /\binnerHTML\b/,
  /\bouterHTML\b/,
  /\binsertAdjacentHTML\b/,
  /\bdocument\.write/,
  /\beval\s*\(/,
  /\bnew\s+Function\b/,
  /\bsetAttribute\(\s*['"]style['"]/,
  /\bcreateContextualFragment\b/,
  /\bsetHTMLUnsafe\b/,
];

function sources(): string[] {
  return readdirSync(UI_SOURCES, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
}

describe('UI sources', () => {
  it('are read (the check looks at real files)', () => {
    expect(sources()).toEqual(expect.arrayContaining(['dom.ts', 'waterfall.ts', 'span-details.ts']));
  });

  it.each(sources())('%s uses no HTML or script sink', (file) => {
    // Prepare
    const text = readFileSync(join(UI_SOURCES, file), 'utf8');

    // Act
    const found = SINKS.filter((sink) => sink.test(text)).map(String);

    // Assess
    expect(found).toEqual([]);
  });
});
