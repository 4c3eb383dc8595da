/**
 * `npm start` refuses to start with a clear message and exit status 2 when the port is taken, the
 * configuration file is bad (which key, what is wrong), the data directory cannot be written or
 * another npm start uses it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { LOCK_FILE } from '../../local/data-dir-lock.ts';

const MAIN = join(import.meta.dirname, '../../local/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'tracesift-main-'));
let occupier: Server;
let takenPort: number;

beforeAll(async () => {
  occupier = createServer();
  await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', resolve));
  takenPort = (occupier.address() as AddressInfo).port;
  writeFileSync(join(dir, 'a-file'), '');
});

afterAll(async () => {
  await new Promise<void>((resolve) => occupier.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `npm start` with `args`; resolves with its exit status and stderr. */
function start(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, TRACESIFT_API_KEY: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('npm start refuses to start, saying why', () => {
  it('when the OTLP port is in use', async ({ expect }) => {
    const { status, stderr } = await start(['--port', String(takenPort), '--data-dir', join(dir, 'd1')]);
    expect(status).toBe(2);
    expect(stderr).toContain(`cannot listen on 127.0.0.1:${takenPort}: the port is in use`);
    expect(stderr).not.toContain('    at ');
  });

  it.for<[string, string[], string]>([
    ['--port', ['--port', '65536'], '--port must be an integer from 0 to 65535, got "65536"'],
    ['--shards', ['--shards', '0'], '--shards must be an integer from 1 to 65535, got "0"'],
  ])('when %s is out of range', async ([, args, message], { expect }) => {
    const { status, stderr } = await start([...args, '--data-dir', join(dir, 'd5')]);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });

  it.for<[string, string, string]>([
    [
      'a value out of range',
      '{"sampling":{"baselineProbability":2}}',
      'sampling.baselineProbability: Too big',
    ],
    ['an unknown key', '{"sampling":{"sendDelay":5}}', 'sampling.sendDelay: unknown key'],
    [
      'a value of the wrong type',
      '{"window":{"batchingWindowSeconds":"10"}}',
      'window.batchingWindowSeconds',
    ],
    ['a broken JSON text', '{"sampling":', 'not valid JSON'],
  ])('when the configuration file has %s', async ([, text, message], { expect }) => {
    const path = configFile(`config-${text.length}.json`, text);
    const { status, stderr } = await start(['--config', path, '--port', '0', '--data-dir', join(dir, 'd2')]);
    expect(status).toBe(2);
    expect(stderr).toContain(`invalid tracesift configuration in ${path}`);
    expect(stderr).toContain(message);
  });

  it('when the configuration file does not exist', async ({ expect }) => {
    const path = join(dir, 'absent.json');
    const { status, stderr } = await start(['--config', path, '--port', '0', '--data-dir', join(dir, 'd3')]);
    expect(status).toBe(2);
    expect(stderr).toContain(`cannot read the configuration file ${path}: ENOENT`);
    expect(stderr).not.toContain('    at ');
  });

  it.for<[string, string[], string[]]>([
    // --api-key given: the pipeline's own check of the data dir finds it
    ['is a file', ['a-file'], ['--api-key', 'k']],
    // no key given: generating and saving one is the first write into the data dir
    ['is under a file', ['a-file', 'sub'], []],
  ])('when the data directory %s', async ([, parts, extra], { expect }) => {
    const dataDir = join(dir, ...parts);
    const { status, stderr } = await start(['--data-dir', dataDir, '--port', '0', ...extra]);
    expect(status).toBe(2);
    expect(stderr).toContain(`cannot write the data directory ${dataDir}`);
    expect(stderr).not.toContain('    at ');
  });

  it('when the data directory holds an unreadable API key file', async ({ expect }) => {
    // Prepare: a folder where the key file should be (root can read any file, not a folder)
    const dataDir = join(dir, 'd4');
    mkdirSync(join(dataDir, 'api-key'), { recursive: true });
    const { status, stderr } = await start(['--data-dir', dataDir, '--port', '0']);
    expect(status).toBe(2);
    expect(stderr).toContain(`cannot write the data directory ${dataDir}: EISDIR`);
  });
});

/** Starts `npm start` and resolves once it serves, with what it printed; the caller stops it with stopStarted. */
function started(args: string[]): Promise<{ child: ChildProcess; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], {
      env: { ...process.env, TRACESIFT_API_KEY: 'k' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('tracesift is running locally')) resolve({ child, stdout });
    });
    child.on('close', (status) => reject(new Error(`npm start exited with ${status}: ${stdout}`)));
  });
}

function stopStarted(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('close');
    child.on('close', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('one npm start a data directory', () => {
  it('refuses a second start on the same directory in one sentence, and frees it at stop', async ({
    expect,
  }) => {
    // Prepare
    const dataDir = join(dir, 'shared');
    const { child: first } = await started(['--data-dir', dataDir]);
    try {
      // Act
      const second = await start(['--data-dir', dataDir, '--port', '0']);
      // Assess
      expect(second.status).toBe(2);
      expect(second.stderr.trim()).toBe(
        `tracesift: the data directory ${dataDir} is in use by another npm start (pid ${first.pid}): ` +
          'stop that one first, or give this one another --data-dir',
      );
    } finally {
      await stopStarted(first);
    }
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('takes over the lock a killed npm start left behind', async ({ expect }) => {
    // Prepare: the pid of a process that has exited
    const dataDir = join(dir, 'stale');
    mkdirSync(dataDir, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(dataDir, LOCK_FILE), `${gone.stdout}\n`);
    // Act
    const { child } = await started(['--data-dir', dataDir]);
    await stopStarted(child);
    // Assess: it ran, and stopped cleanly
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});

describe('the browser key of npm start', () => {
  it('is generated, printed and written to endpoints.json when origins are allowed, and absent otherwise', async ({
    expect,
  }) => {
    // Prepare
    const withOrigins = join(dir, 'browser');
    const without = join(dir, 'no-browser');
    const config = configFile(
      'cors.json',
      JSON.stringify({ ingest: { cors: { allowedOrigins: ['https://app.example.com'] } } }),
    );

    // Act
    const allowing = await started(['--data-dir', withOrigins, '--config', config]);
    await stopStarted(allowing.child);
    const plain = await started(['--data-dir', without]);
    await stopStarted(plain.child);

    // Assess
    const key = readFileSync(join(withOrigins, 'browser-api-key'), 'utf8').trim();
    expect(key).toMatch(/^local-browser-[0-9a-f]{24}$/);
    expect(allowing.stdout).toContain(`browser API key      x-api-key: ${key}`);
    expect(allowing.stdout).toContain('pages of https://app.example.com');
    expect(JSON.parse(readFileSync(join(withOrigins, 'endpoints.json'), 'utf8')).browserApiKey).toBe(key);
    expect(existsSync(join(without, 'browser-api-key'))).toBe(false);
    expect(plain.stdout).not.toContain('browser API key');
    expect(JSON.parse(readFileSync(join(without, 'endpoints.json'), 'utf8')).browserApiKey).toBeUndefined();
  });
});

describe('the banner', () => {
  it('prints the web UI with the read key in its fragment, which the page takes once', async ({ expect }) => {
    // Prepare
    const dataDir = join(dir, 'web-ui');

    // Act
    const running = await started(['--data-dir', dataDir, '--query-api-key', 'read key/+&#']);
    await stopStarted(running.child);

    // Assess
    const { webUi } = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as { webUi: string };
    expect(webUi).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui\/$/);
    expect(running.stdout).toContain(`web UI               ${webUi}#key=read%20key%2F%2B%26%23`);
  });
});
