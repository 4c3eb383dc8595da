/** `npm run demo` and `npm run trace` say what to do, with exit status 2, when they cannot start. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tracesift-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../demo', script), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

describe('the demo commands refuse to start, saying why', () => {
  it.each([
    ['npm run demo', 'main.ts', ['--data-dir', join(dir, 'none')], 'the local pipeline is not running'],
    ['npm run demo', 'main.ts', ['--rate', '0'], '--rate: must be above 0'],
    [
      'trace.ts',
      'trace.ts',
      ['--data-dir', join(dir, 'none'), '4bf92f3577b34da6a3ce929d0e0e4736'],
      'npm start',
    ],
    ['npm run trace', 'trace.ts', ['not-an-id'], 'is not a trace id'],
  ])('%s (%s %j)', async (_, script, args, message) => {
    const { status, stderr } = await run(script, args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('    at ');
  });
});
