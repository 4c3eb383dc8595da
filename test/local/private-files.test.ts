/** The local pipeline's files are its user's: an endpoints file an older run left readable is closed. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from '../../local/pipeline.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('writePrivateFile', () => {
  it.each([
    ['a new file', undefined],
    ['a world-readable file an older run wrote', 0o644],
    ['a group-writable file', 0o664],
  ])('leaves %s readable by its owner only, with the new text', (_, earlierMode) => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'tracesift-private-'));
    const path = join(dir, 'endpoints.json');
    if (earlierMode !== undefined) {
      writeFileSync(path, 'old');
      chmodSync(path, earlierMode);
    }

    // Act
    writePrivateFile(path, '{"apiKey":"k"}\n');

    // Assess
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('{"apiKey":"k"}\n');
  });
});
