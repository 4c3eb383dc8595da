/**
 * Glue table definitions generated from the analytics table list the Parquet writers also use
 * (lambdas/shared/storage/tables.ts, including the configured promoted columns), in the storage
 * format and with the partition projection lambdas/shared/storage/layout.ts defines, so the
 * tables Athena reads and the files the functions write cannot drift apart.
 *
 * Each table's location holds symlink manifests (`tables/<name>/dt=…/hour=…/<shard>.txt`) that
 * list the Parquet files under `data/`. Partitions are projected (no crawler, no MSCK REPAIR):
 * `dt` is a `yyyy-MM-dd` date over the retention, `hour` a zero-padded string `00` to `23`,
 * projected as a two-digit integer, so `hour = '07'` matches the folders the writers name.
 */
import type * as glue from 'aws-cdk-lib/aws-glue';
import type { IConstruct } from 'constructs';
import {
  type AnalyticsTableDefinition,
  type ColumnDefinition,
  GLUE_TABLE_FORMAT,
  PARTITION_COLUMNS,
  partitionProjection,
  tablePrefix,
} from '../lambdas/storage/layout/index.ts';
import { UnprojectedPartitionError } from './errors.ts';

export interface GlueTableOptions {
  /** Name of the data bucket (a token at synth time). */
  readonly bucketName: string;
  /** Days of data kept (`storage.analyticsRetentionDays`): the span of the projected `dt` range. */
  readonly retentionDays: number;
  /**
   * The partition columns; each needs a projection in `partitionProjection`.
   * @default PARTITION_COLUMNS (lambdas/shared/storage/layout.ts)
   */
  readonly partitionColumns?: readonly ColumnDefinition[];
}

/** `s3://bucket/tables/<name>/`: where a table's symlink manifests live. */
export function tableLocation(table: AnalyticsTableDefinition, bucketName: string): string {
  return `s3://${bucketName}/${tablePrefix(table.name)}`;
}

export function glueTableInput(
  scope: IConstruct,
  table: AnalyticsTableDefinition,
  options: GlueTableOptions,
): glue.CfnTable.TableInputProperty {
  const location = tableLocation(table, options.bucketName);
  const projection = partitionProjection(location, options.retentionDays);
  const partitionColumns = options.partitionColumns ?? PARTITION_COLUMNS;
  for (const column of partitionColumns) {
    // A partition column Athena cannot project would make every query scan nothing for it.
    if (projection[`projection.${column.name}.type`] === undefined) {
      throw new UnprojectedPartitionError(scope.node.path, column.name);
    }
  }
  return {
    name: table.name,
    description: table.description,
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'parquet.compression': 'ZSTD',
      ...projection,
    },
    partitionKeys: partitionColumns.map((column) => ({ name: column.name, type: column.type })),
    storageDescriptor: {
      location,
      inputFormat: GLUE_TABLE_FORMAT.inputFormat,
      outputFormat: GLUE_TABLE_FORMAT.outputFormat,
      serdeInfo: {
        serializationLibrary: GLUE_TABLE_FORMAT.serializationLibrary,
        parameters: { 'serialization.format': '1' },
      },
      columns: table.columns.map((column) => ({
        name: column.name,
        type: column.type,
        ...(column.comment ? { comment: column.comment } : {}),
      })),
    },
  };
}
