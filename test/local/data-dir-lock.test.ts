/**
 * One npm start a data directory: the lock file names its owner's pid; a second start is refused
 * while the owner runs, and a lock left by a process that died is taken over.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, processIsRunning } from '../../local/data-dir-lock.ts';
import { DataDirectoryError, DataDirectoryInUseError } from '../../local/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'tracesift-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function dataDir(lockText?: string): string {
  const dir = mkdtempSync(join(root, `d${dirs++}-`));
  if (lockText !== undefined) writeFileSync(join(dir, LOCK_FILE), lockText);
  return dir;
}

const OWNER = 4242;
const OTHER = 5353;
const running = () => true;
const dead = () => false;

describe('lockDataDir', () => {
  it('writes its pid into the lock file and removes the file on release', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir, OWNER, running);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${OWNER}\n`);
    lock.release();
    expect(() => readFileSync(join(dir, LOCK_FILE))).toThrow(/ENOENT/);
  });

  it('refuses while the owner runs, naming the directory and the owner in one sentence', () => {
    const dir = dataDir(`${OTHER}\n`);
    const act = () => lockDataDir(dir, OWNER, running);
    expect(act).toThrow(DataDirectoryInUseError);
    expect(act).toThrow(
      `the data directory ${dir} is in use by another npm start (pid ${OTHER}): stop that one first, or give this one another --data-dir`,
    );
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${OTHER}\n`);
  });

  it('refuses a second lock in the same process', () => {
    const dir = dataDir();
    const first = lockDataDir(dir, OWNER, running);
    expect(() => lockDataDir(dir, OWNER, running)).toThrow(DataDirectoryInUseError);
    first.release();
  });

  it.for<[string, string, (pid: number) => boolean]>([
    ['a process that died', `${OTHER}\n`, dead],
    ['no pid (a start that died while writing it)', '', running],
    // A restarted container reuses pids: our own pid, held by no lock of this process, is stale
    ['our own pid from an earlier life', `${OWNER}\n`, running],
  ])('takes over a lock left by %s', ([, text, isRunning]) => {
    const dir = dataDir(text);
    const lock = lockDataDir(dir, OWNER, isRunning);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(`${OWNER}\n`);
    lock.release();
  });

  it('asks whether the owner is running only for another pid', () => {
    const asked: number[] = [];
    const dir = dataDir(`${OTHER}\n`);
    lockDataDir(dir, OWNER, (pid) => {
      asked.push(pid);
      return false;
    }).release();
    expect(asked).toEqual([OTHER]);
  });

  it('reports a data directory that cannot hold the lock file as not writable', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    expect(() => lockDataDir(file, OWNER, running)).toThrow(DataDirectoryError);
  });
});

describe('processIsRunning', () => {
  it('knows this process is running', () => {
    expect(processIsRunning(process.pid)).toBe(true);
  });
});
