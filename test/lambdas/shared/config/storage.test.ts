import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../lambdas/shared/config/load.ts';
import { analyticsTables, SPANS_TABLE } from '../../../../lambdas/storage/index.ts';

describe('storage configuration', () => {
  it('defaults every key', () => {
    // Act
    const { storage } = parseConfig({});
    // Assess
    expect(storage).toEqual({
      retentionDays: 7,
      analyticsRetentionDays: 30,
      promotedAttributes: [],
      parquet: { zstdLevel: 3, rowGroupRows: 100_000 },
      compaction: {
        settleMinutes: 90,
        lookbackHours: 48,
        deleteAfterMinutes: 120,
        maxInputBytes: 1024 * 1024,
      },
    });
  });

  it.each([
    [{ column: 'http_route', attributes: ['x'] }, 'is a built-in column'],
    [{ column: 'Tenant', attributes: ['tenant.id'] }, 'lower-case'],
    [{ column: 'tenant', attributes: [] }, 'attributes'],
  ])('rejects promoted attribute %j', (promoted, message) => {
    // Act, Assess
    expect(() => parseConfig({ storage: { promotedAttributes: [promoted] } })).toThrow(message);
  });

  it('rejects a column promoted twice', () => {
    // Prepare
    const twice = [
      { column: 'tenant', attributes: ['a'] },
      { column: 'tenant', attributes: ['b'] },
    ];
    // Act, Assess
    expect(() => parseConfig({ storage: { promotedAttributes: twice } })).toThrow(/promoted twice/);
  });

  it('adds promoted columns to the spans table after the built-in ones', () => {
    // Prepare
    const { storage } = parseConfig({
      storage: { promotedAttributes: [{ column: 'tenant_id', attributes: ['tenant.id'], type: 'bigint' }] },
    });
    // Act
    const [spans] = analyticsTables(storage);
    // Assess
    const names = spans?.columns.map((c) => c.name) ?? [];
    expect(names.indexOf('tenant_id')).toBe(names.indexOf('deployment_environment') + 1);
    expect(spans?.columns.find((c) => c.name === 'tenant_id')).toEqual({
      name: 'tenant_id',
      type: 'bigint',
      comment: 'promoted from tenant.id',
    });
    expect(analyticsTables(parseConfig({}).storage)[0]).toBe(SPANS_TABLE);
  });
});
