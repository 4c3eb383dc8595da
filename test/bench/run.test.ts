import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = (name: string) => new URL(`../../bench/${name}`, import.meta.url).pathname;
const run = (name: string, ...args: string[]) =>
  spawnSync(process.execPath, [script(name), ...args], { encoding: 'utf8' });

// Only the refusals: a real run belongs to `npm run bench`, not to the test suite. Each spawn
// loads the whole suite (about 2 s), so one case per kind of refusal.
describe('npm run bench refusals', () => {
  it.each([
    ['--runs', '0'],
    ['--traces', '1.5'],
  ])('exits 2 on %s=%s before generating anything', (flag, value) => {
    const result = run('run.ts', `${flag}=${value}`);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${flag} must be a positive integer, got "${value}"`);
    expect(result.stdout).not.toContain('generating');
  });

  it.each([
    [['--fast'], /Unknown option '--fast'/],
    [['--traces', '-5'], /Option '--traces' argument is ambiguous/],
  ])('exits 2 on the command line %j, saying why', (args, message) => {
    const result = run('run.ts', ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('summarize.ts without files prints its usage and exits 2', () => {
    const result = run('summarize.ts');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('usage: node bench/summarize.ts');
  });
});
