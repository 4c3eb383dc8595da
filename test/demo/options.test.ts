/** Flags of `npm run demo` and `npm run trace`: defaults, each bad flag named, boundaries. */
import { describe, expect, it } from 'vitest';
import { DemoUsageError } from '../../demo/errors.ts';
import { parseDemoOptions, parseTraceOptions } from '../../demo/options.ts';

const NOW = new Date('2026-11-24T18:30:00.123Z');

describe('parseDemoOptions', () => {
  it('fills the defaults: 10 requests/s for 30 s, proto + gzip, logs in the data dir', () => {
    // Act
    const options = parseDemoOptions([], NOW);

    // Assess
    expect(options).toEqual({
      rate: 10,
      count: undefined,
      durationSeconds: 30,
      errorRate: 0.05,
      slowRate: 0.05,
      slowMs: 1500,
      protocol: 'proto',
      gzip: true,
      seed: 42,
      dataDir: '.tracesift',
      logFile: '.tracesift/demo-logs/demo-2026-11-24T18-30-00-123Z.jsonl',
      exportDelayMs: 5000,
      wait: true,
      deployed: undefined,
    });
  });

  it('takes a count instead of a duration, JSON without gzip, and no read-back', () => {
    const options = parseDemoOptions(
      ['--count', '50', '--protocol', 'json', '--no-gzip', '--no-wait', '--logs', '/tmp/x.jsonl'],
      NOW,
    );
    expect(options).toMatchObject({
      count: 50,
      durationSeconds: undefined,
      protocol: 'json',
      gzip: false,
      wait: false,
      logFile: '/tmp/x.jsonl',
    });
  });

  it.each([
    [['--error-rate', '0'], { errorRate: 0 }],
    [['--error-rate', '1', '--slow-rate', '0'], { errorRate: 1, slowRate: 0 }],
    [['--error-rate', '0.5', '--slow-rate', '0.5'], { errorRate: 0.5, slowRate: 0.5 }],
    [['--count', '1'], { count: 1 }],
    [['--seed', '0'], { seed: 0 }],
    [['--rate', '0.5'], { rate: 0.5 }],
    [
      [
        ...['--endpoint', 'https://x.example', '--api-key', 'k'],
        ...['--query-endpoint', 'https://q.example', '--query-api-key', 'r'],
      ],
      {
        deployed: {
          endpoint: 'https://x.example',
          apiKey: 'k',
          queryEndpoint: 'https://q.example',
          queryApiKey: 'r',
        },
      },
    ],
  ])('accepts the boundary %j', (argv, expected) => {
    expect(parseDemoOptions(argv, NOW)).toMatchObject(expected);
  });

  it.each([
    [['--rate', '0'], 'rate', 'must be above 0'],
    [['--rate', 'fast'], 'rate', 'must be a number'],
    [['--error-rate', '1.01'], 'error-rate', 'between 0 and 1'],
    [['--slow-rate=-0.1'], 'slow-rate', 'between 0 and 1'],
    [['--error-rate', '0.6', '--slow-rate', '0.5'], 'slow-rate', 'above 1'],
    [['--count', '0'], 'count', 'at least 1'],
    [['--count', '2.5'], 'count', 'integer'],
    [['--count', '5', '--duration', '10'], 'count', 'not both'],
    [['--protocol', 'grpc'], 'protocol', 'proto or json'],
    [['--slow-ms', ''], 'slow-ms', 'must be a number'],
    [['--bogus'], '', 'usage: npm run demo'],
    [['--endpoint', 'https://x.example/v1/traces'], 'api-key', 'together'],
    [['--api-key', 'k'], 'endpoint', 'together'],
    // Spans go with the ingest key; reading decisions back needs the query API and its read key
    [['--endpoint', 'https://x.example', '--api-key', 'k'], 'query-endpoint', 'together'],
    [
      ['--endpoint', 'https://x.example', '--api-key', 'k', '--query-endpoint', 'https://q.example'],
      'query-api-key',
      'together',
    ],
    [['--query-api-key', 'r'], 'endpoint', 'together'],
  ])('refuses %j naming --%s', (argv, flag, message) => {
    const attempt = () => parseDemoOptions(argv, NOW);
    expect(attempt).toThrow(DemoUsageError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as DemoUsageError).flag).toBe(flag);
    }
  });
});

describe('parseTraceOptions', () => {
  const ID = '4BF92F3577B34DA6A3CE929D0E0E4736';

  it('lower-cases the trace id and defaults the data dir', () => {
    expect(parseTraceOptions([ID])).toEqual({ traceId: ID.toLowerCase(), dataDir: '.tracesift' });
    expect(parseTraceOptions(['--data-dir', '/tmp/d', ID]).dataDir).toBe('/tmp/d');
  });

  it.each([
    [[], 'give one trace id'],
    [[ID, ID], 'give one trace id'],
    [['4bf92f3577b34da6a3ce929d0e0e473'], 'not a trace id'],
    [['0'.repeat(32)], 'not a trace id'],
    [['4bf92f3577b34da6a3ce929d0e0e473g'], 'not a trace id'],
    [['--verbose', ID], 'usage: npm run trace'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseTraceOptions(argv)).toThrow(DemoUsageError);
    expect(() => parseTraceOptions(argv)).toThrow(message);
  });
});
