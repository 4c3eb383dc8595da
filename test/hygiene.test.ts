/**
 * Rules over the test suite itself. Wall-clock reads: a test that builds fixtures from, or checks
 * results against, `Date.now()` / `new Date()` passes or fails with the day it runs on (main went
 * red on 2026-12-01 that way). Tests inject a clock (fixtureClock, a pipeline's `now`); the few
 * subjects that read the wall clock themselves go through test/support/wall-clock.ts, the one
 * file allowed to, so each such use is named and searchable.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST_ROOT = import.meta.dirname;
// This file only names the patterns, in its own table of cases.
const ALLOWED = new Set(['support/wall-clock.ts', 'hygiene.test.ts']);
const WALL_CLOCK = /\bDate\.now\s*\(|\bnew Date\s*\(\s*\)|(?<![.\w])Date\s*\(\s*\)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** `file:line` of every wall-clock read outside comments. */
function wallClockReads(files: readonly string[], root: string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const name = relative(root, file);
    if (ALLOWED.has(name)) continue;
    for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
      const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
      if (WALL_CLOCK.test(code)) found.push(`${name}:${i + 1}: ${line.trim()}`);
    }
  }
  return found;
}

describe('test hygiene', () => {
  it('no test reads the wall clock except through support/wall-clock.ts', () => {
    expect(wallClockReads(sourceFiles(TEST_ROOT), TEST_ROOT)).toEqual([]);
  });

  it.each([
    ['const now = Date.now();', true],
    ['deadline: Date.now() + 5_000', true],
    ['const at = new Date();', true],
    ['const label = Date();', true],
    ['ApproximateArrivalTimestamp: new Date(clock),', false],
    ['const deadline = performance.now() + 5_000;', false],
    ['// Date.now() is not read here', false],
    ['pipeline.now()', false],
  ])('the rule on %s: flagged %s', (line, flagged) => {
    expect(WALL_CLOCK.test(line.replace(/\/\/.*$/, ''))).toBe(flagged);
  });
});
