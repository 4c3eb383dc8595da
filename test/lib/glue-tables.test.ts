import { describe, expect, it } from 'vitest';
import {
  ANALYTICS_TABLES,
  GLUE_TABLE_FORMAT,
  PARTITION_COLUMNS,
  partitionProjection,
  tablePrefix,
} from '../../lambdas/storage/index.ts';
import { UnprojectedPartitionError } from '../../lib/errors.ts';
import { glueTableInput, tableLocation } from '../../lib/glue-tables.ts';
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
    '$name: Parquet read through the symlink manifests under tables/<name>/, partitions projected',
    ({ table }) => {
      // Act
      const input = glueTableInput(testStack(), table, options);

      // Assess
      const location = `s3://data-bucket/${tablePrefix(table.name)}`;
      expect(input.tableType).toBe('EXTERNAL_TABLE');
      expect(input.storageDescriptor).toMatchObject({
        location,
        inputFormat: GLUE_TABLE_FORMAT.inputFormat,
        outputFormat: GLUE_TABLE_FORMAT.outputFormat,
        serdeInfo: { serializationLibrary: GLUE_TABLE_FORMAT.serializationLibrary },
      });
      expect(input.parameters).toMatchObject({
        classification: 'parquet',
        ...partitionProjection(location, 30),
      });
      expect(input.parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.hour.type': 'integer',
        'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/`,
      });
    },
  );

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

describe('tableLocation', () => {
  it('is the table prefix in the bucket', () => {
    const table = defined(ANALYTICS_TABLES[0]);
    expect(tableLocation(table, 'b')).toBe(`s3://b/${tablePrefix(table.name)}`);
  });
});
