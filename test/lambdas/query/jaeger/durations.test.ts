import { describe, expect, it } from 'vitest';
import { parseDurationParameter, parseTimeParameter } from '../../../../lambdas/query/jaeger/durations.ts';
import { InvalidParameterError } from '../../../../lambdas/query/jaeger/errors.ts';

/** Expected values were checked against Go 1.19's time.ParseDuration and strconv.ParseInt. */
describe('parseDurationParameter', () => {
  const valid: [string, bigint][] = [
    ['0', 0n],
    ['+0', 0n],
    ['-0', 0n],
    ['0s', 0n],
    ['10ns', 10n],
    ['500us', 500_000n],
    ['500µs', 500_000n], // U+00B5 micro sign
    ['500μs', 500_000n], // U+03BC Greek mu
    ['100ms', 100_000_000n],
    ['1.2s', 1_200_000_000n],
    ['.5s', 500_000_000n],
    ['1.s', 1_000_000_000n],
    ['1h2m', 3_720_000_000_000n],
    ['2h45m30.5s', 9_930_500_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['-1.5h', -5_400_000_000_000n],
    ['-.5m', -30_000_000_000n],
    ['0.000000001s', 1n],
    ['0.0000000001s', 0n],
    ['1.9ns', 1n],
    ['1.0000000000000000000000001s', 1_000_000_000n],
    ['0.12345678912345678912345h', 444_444_440_844n],
    ['9223372036854775807ns', 9_223_372_036_854_775_807n],
    ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
    ['2562047h', 9_223_369_200_000_000_000n],
    ['9223372036.854775807s', 9_223_372_036_854_775_807n],
  ];

  it.each(valid)('reads %s', (text, nanos) => {
    // Act
    const parsed = parseDurationParameter('minDuration', text);

    // Assess
    expect(parsed).toBe(nanos);
  });

  const invalid: [string, string][] = [
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['.', 'time: invalid duration "."'],
    ['s', 'time: invalid duration "s"'],
    ['--1s', 'time: invalid duration "--1s"'],
    ['１s', 'time: invalid duration "\\xef\\xbc\\x91s"'],
    ['1', 'time: missing unit in duration "1"'],
    ['00', 'time: missing unit in duration "00"'],
    ['1h1', 'time: missing unit in duration "1h1"'],
    ['1.2.3s', 'time: missing unit in duration "1.2.3s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['1S', 'time: unknown unit "S" in duration "1S"'],
    ['1 s', 'time: unknown unit " s" in duration "1 s"'],
    ['1µ', 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'],
    ['1"s', 'time: unknown unit "\\"s" in duration "1\\"s"'],
    ['1constructor', 'time: unknown unit "constructor" in duration "1constructor"'],
    ['1__proto__', 'time: unknown unit "__proto__" in duration "1__proto__"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['-9223372036854775809ns', 'time: invalid duration "-9223372036854775809ns"'],
    ['18446744073709551616ns', 'time: invalid duration "18446744073709551616ns"'],
    ['99999999999999999999sm', 'time: invalid duration "99999999999999999999sm"'],
    ['2562048h', 'time: invalid duration "2562048h"'],
    ['9223372036.854775808s', 'time: invalid duration "9223372036.854775808s"'],
    [
      '4611686018427387904ns4611686018427387904ns',
      'time: invalid duration "4611686018427387904ns4611686018427387904ns"',
    ],
  ];

  it.each(invalid)('rejects %j naming the parameter', (text, reason) => {
    // Act
    const act = () => parseDurationParameter('maxDuration', text);

    // Assess
    expect(act).toThrow(InvalidParameterError);
    expect(act).toThrow(`unable to parse param 'maxDuration': ${reason}`);
  });

  it('gives the error the parameter, the value and status 400', () => {
    // Act
    const error = captured(() => parseDurationParameter('minDuration', '1x'));

    // Assess
    expect(error).toMatchObject({ parameter: 'minDuration', value: '1x', statusCode: 400 });
  });

  it('accepts the most negative duration but not its positive', () => {
    // Act
    const min = parseDurationParameter('minDuration', '-2562047h47m16.854775808s');
    const act = () => parseDurationParameter('minDuration', '2562047h47m16.854775808s');

    // Assess
    expect(min).toBe(-(2n ** 63n));
    expect(act).toThrow(InvalidParameterError);
  });
});

describe('parseTimeParameter', () => {
  const valid: [string, bigint][] = [
    ['1485467191639875', 1_485_467_191_639_875_000n],
    ['0', 0n],
    ['+5', 5_000n],
    ['-5', -5_000n],
    ['007', 7_000n],
    ['9223372036854775', 9_223_372_036_854_775_000n],
  ];

  it.each(valid)('reads %s µs as ns', (text, nanos) => {
    // Act
    const parsed = parseTimeParameter('start', text);

    // Assess
    expect(parsed).toBe(nanos);
  });

  const invalid: [string, string][] = [
    ['', 'strconv.ParseInt: parsing "": invalid syntax'],
    ['+', 'strconv.ParseInt: parsing "+": invalid syntax'],
    ['1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ['1e6', 'strconv.ParseInt: parsing "1e6": invalid syntax'],
    [' 1', 'strconv.ParseInt: parsing " 1": invalid syntax'],
    ['1_000', 'strconv.ParseInt: parsing "1_000": invalid syntax'],
    ['0x10', 'strconv.ParseInt: parsing "0x10": invalid syntax'],
    ['1\t', 'strconv.ParseInt: parsing "1\\t": invalid syntax'],
    ['\u0001', 'strconv.ParseInt: parsing "\\x01": invalid syntax'],
    ['99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ['99999999999999999999x', 'strconv.ParseInt: parsing "99999999999999999999x": value out of range'],
    ['9223372036854775808', 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
    // Valid int64 microseconds, but as nanoseconds past int64, where Go would wrap around.
    ['9223372036854776', 'strconv.ParseInt: parsing "9223372036854776": value out of range'],
    ['-9223372036854776', 'strconv.ParseInt: parsing "-9223372036854776": value out of range'],
  ];

  it.each(invalid)('rejects %j naming the parameter', (text, reason) => {
    // Act
    const act = () => parseTimeParameter('end', text);

    // Assess
    expect(act).toThrow(InvalidParameterError);
    expect(act).toThrow(`unable to parse param 'end': ${reason}`);
  });
});

function captured(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
