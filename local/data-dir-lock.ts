/**
 * One `npm start` a data directory: the stand-ins' LevelDB stores allow one process each, and two
 * pipelines would poll the same stream. The lock is a file holding the owner's pid, created
 * exclusively at start and removed at stop; one left by a process that died is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirectoryError, DataDirectoryInUseError } from './errors.ts';

export const LOCK_FILE = 'npm-start.pid';

export interface DataDirLock {
  release(): void;
}

/** Whether a process with this id exists (EPERM: it does, owned by another user). */
export function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds: a lock naming our own pid but not held here is stale (a restarted container reuses pids). */
const held = new Set<string>();

export function lockDataDir(
  dataDir: string,
  pid: number = process.pid,
  isRunning: (pid: number) => boolean = processIsRunning,
): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  // Two attempts: the second follows the removal of a stale lock (a race with another start loses cleanly).
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${pid}\n`, { flag: 'wx', mode: 0o600 });
      held.add(path);
      return {
        release: () => {
          held.delete(path);
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DataDirectoryError(dataDir, { cause: error });
    }
    const owner = lockOwner(path);
    const alive = owner !== undefined && (owner === pid ? held.has(path) : isRunning(owner));
    if (alive) throw new DataDirectoryInUseError(dataDir, owner);
    rmSync(path, { force: true });
  }
  throw new DataDirectoryInUseError(dataDir, lockOwner(path));
}

/** The pid in a lock file; undefined when it is gone or holds no pid (a start that died mid-write). */
function lockOwner(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
