import { describe, expect, it } from 'vitest';
import { PARTITION_COLUMNS, tablePrefix } from '../../lambdas/shared/storage/layout.ts';
import { ANALYTICS_TABLES } from '../../lambdas/shared/storage/tables.ts';
import { UnprojectedPartitionError } from '../../lib/errors.ts';
import { glueTableInput, locationTemplate } from '../../lib/glue-tables.ts';
import { defined, testStack } from '../support/cdk.ts';

const options = { bucketName: 'data-bucket', retentionDays: 30 };

describe('glueTableInput', () => {
  it.each(ANALYTICS_TABLES.map((table) => ({ name: table.name, table })))(
    '$name: every column of the shared definition, in order, with its type',
    ({ table }) => {
      // Act
      const input = glueTableInput(testStack(), table, options);

      // Assess
      const descriptor = input.storageDescriptor as {
        columns: Array<{ name: string; type: string; comment?: string }>;
      };
      expect(descriptor.columns).toEqual(
        table.columns.map((c) => ({
          name: c.name,
          type: c.type,
          ...(c.comment ? { comment: c.comment } : {}),
        })),
      );
      expect(input.partitionKeys).toEqual(PARTITION_COLUMNS.map((c) => ({ name: c.name, type: c.type })));
      expect(input.name).toBe(table.name);
    },
  );

  it.each(ANALYTICS_TABLES.map((table) => ({ name: table.name, table })))(
    '$name: Parquet under tables/<name>/ with projected dt and hour partitions',
    ({ table }) => {
      // Act
      const input = glueTableInput(testStack(), table, options);

      // Assess
      expect(input.tableType).toBe('EXTERNAL_TABLE');
      expect(input.storageDescriptor).toMatchObject({
        location: `s3://data-bucket/${tablePrefix(table.name)}`,
        inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      });
      expect(input.parameters).toMatchObject({
        classification: 'parquet',
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': 'NOW-31DAYS,NOW',
        'projection.dt.interval.unit': 'DAYS',
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
        'storage.location.template': `s3://data-bucket/tables/${table.name}/dt=\${dt}/hour=\${hour}/`,
      });
    },
  );

  it('starts the dt projection one day before the retention', () => {
    // Act
    const input = glueTableInput(testStack(), defined(ANALYTICS_TABLES[0]), { ...options, retentionDays: 1 });

    // Assess
    expect((input.parameters as Record<string, string>)['projection.dt.range']).toBe('NOW-2DAYS,NOW');
  });

  it('refuses a partition column without a projection, naming it', () => {
    // Prepare
    const partitionColumns = [...PARTITION_COLUMNS, { name: 'region', type: 'string' }];

    // Act
    const act = () =>
      glueTableInput(testStack(), defined(ANALYTICS_TABLES[0]), { ...options, partitionColumns });

    // Assess
    expect(act).toThrow(UnprojectedPartitionError);
    expect(act).toThrow(/partition column region has no partition projection/);
  });
});

describe('locationTemplate', () => {
  it('names each partition folder after its column, in order', () => {
    // Act
    const template = locationTemplate(defined(ANALYTICS_TABLES[0]), 'b', [
      { name: 'dt', type: 'string' },
      { name: 'hour', type: 'string' },
    ]);

    // Assess
    expect(template).toBe(`s3://b/${tablePrefix(defined(ANALYTICS_TABLES[0]).name)}dt=\${dt}/hour=\${hour}/`);
  });
});
