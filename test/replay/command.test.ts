/** The replay command's arguments and report. */
import { describe, expect, it } from 'vitest';
import { parseReplayArgs, renderReport } from '../../replay/command.ts';
import { ReplayUsageError } from '../../replay/errors.ts';

describe('replay arguments', () => {
  it('reads the AWS target, the Lambda destination prefix by default', () => {
    expect(parseReplayArgs(['--bucket', 'b', '--stream', 's', '--region', 'eu-west-1'])).toEqual({
      target: { kind: 'aws', bucket: 'b', stream: 's', region: 'eu-west-1', prefix: 'aws/lambda/' },
      dryRun: false,
    });
  });

  it('reads the local target and a dry run', () => {
    expect(parseReplayArgs(['--local', '--data-dir', 'd', '--dry-run'])).toEqual({
      target: { kind: 'local', dataDir: 'd' },
      dryRun: true,
    });
  });

  it.each([
    [['--bucket', 'b'], /--stream/],
    [['--local', '--bucket', 'b'], /--bucket does not apply with --local/],
    [['--data-dir', 'd', '--bucket', 'b', '--stream', 's'], /--data-dir needs --local/],
    [['--nope'], /nope/],
    [['positional'], /positional/],
  ])('refuses %j', (args, message) => {
    const act = () => parseReplayArgs(args);
    expect(act).toThrow(ReplayUsageError);
    expect(act).toThrow(message);
  });
});

describe('replay report', () => {
  it('names each batch, its poison records and the failures, then the totals', () => {
    // Act
    const text = renderReport(
      {
        replayed: [
          {
            key: 'a',
            condition: 'RetryAttemptsExhausted',
            source: 'payload',
            recordsPut: 2,
            spansPut: 30,
            wakeUpsSkipped: 1,
            poison: [],
          },
          {
            key: 'b',
            condition: 'RecordAgeExceeded',
            source: 'stream',
            recordsPut: 0,
            spansPut: 0,
            wakeUpsSkipped: 0,
            poison: [{ sequenceNumber: '9', reason: 'bad magic' }],
          },
        ],
        alreadyReplayed: 3,
        failed: [{ key: 'c', error: 'ReplayPutError: refused' }],
      },
      false,
    );

    // Assess
    expect(text.split('\n')).toEqual([
      'a [RetryAttemptsExhausted, from the payload]: put 2 records (30 spans); 1 wake-ups skipped',
      'b [RecordAgeExceeded, from the stream]: put 0 records (0 spans); 1 poison records kept out (9: bad magic)',
      'c: NOT replayed: ReplayPutError: refused',
      '2 batches replayed (30 spans), 3 replayed before, 1 failed',
    ]);
  });
});
