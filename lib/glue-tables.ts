/**
 * Glue table definitions generated from the analytics table list the Parquet writers also use
 * (lambdas/shared/storage/tables.ts), so a column added there appears in Athena with the next
 * deploy and the two cannot drift.
 *
 * Partitions are projected (no crawler, no MSCK REPAIR, no Glue partition API calls per query):
 * - `dt`: a date, `yyyy-MM-dd`, from `retentionDays + 1` days ago until today (UTC);
 * - `hour`: a zero-padded string `00` to `23`, projected as an integer with two digits, so
 *   `hour = '07'` and `hour BETWEEN '06' AND '09'` compare as the writers name the folders.
 */
import type * as glue from 'aws-cdk-lib/aws-glue';
import type { IConstruct } from 'constructs';
import {
  type AnalyticsTableDefinition,
  type ColumnDefinition,
  PARTITION_COLUMNS,
  tablePrefix,
} from '../lambdas/shared/storage/layout.ts';
import { UnprojectedPartitionError } from './errors.ts';

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

export interface GlueTableOptions {
  /** Name of the data bucket (a token at synth time). */
  readonly bucketName: string;
  /** Days of data kept under `tables/`: the projected `dt` range starts one day before that. */
  readonly retentionDays: number;
  /**
   * The partition columns, each of which needs a projection below.
   * @default PARTITION_COLUMNS (lambdas/shared/storage/layout.ts)
   */
  readonly partitionColumns?: readonly ColumnDefinition[];
}

/** Projection settings of each partition column, by name. */
function projectionOf(scope: IConstruct, column: string, retentionDays: number): Record<string, string> {
  switch (column) {
    case 'dt':
      return {
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        // One extra day covers objects of the oldest partition whose expiry has not run yet.
        'projection.dt.range': `NOW-${retentionDays + 1}DAYS,NOW`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
      };
    case 'hour':
      return {
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
      };
    default:
      throw new UnprojectedPartitionError(scope.node.path, column);
  }
}

/** `s3://bucket/tables/<name>/dt=${dt}/hour=${hour}/`, the path template Athena fills per partition. */
export function locationTemplate(
  table: AnalyticsTableDefinition,
  bucketName: string,
  partitionColumns: readonly ColumnDefinition[] = PARTITION_COLUMNS,
): string {
  const partitions = partitionColumns.map((column) => `${column.name}=\${${column.name}}`).join('/');
  return `s3://${bucketName}/${tablePrefix(table.name)}${partitions}/`;
}

export function glueTableInput(
  scope: IConstruct,
  table: AnalyticsTableDefinition,
  options: GlueTableOptions,
): glue.CfnTable.TableInputProperty {
  const partitionColumns = options.partitionColumns ?? PARTITION_COLUMNS;
  const projection = Object.assign(
    {},
    ...partitionColumns.map((column) => projectionOf(scope, column.name, options.retentionDays)),
  ) as Record<string, string>;
  return {
    name: table.name,
    description: table.description,
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'parquet.compression': 'ZSTD',
      'projection.enabled': 'true',
      ...projection,
      'storage.location.template': locationTemplate(table, options.bucketName, partitionColumns),
    },
    partitionKeys: partitionColumns.map((column) => ({ name: column.name, type: column.type })),
    storageDescriptor: {
      location: `s3://${options.bucketName}/${tablePrefix(table.name)}`,
      inputFormat: PARQUET.inputFormat,
      outputFormat: PARQUET.outputFormat,
      serdeInfo: { serializationLibrary: PARQUET.serde, parameters: { 'serialization.format': '1' } },
      compressed: true,
      columns: table.columns.map((column) => ({
        name: column.name,
        type: column.type,
        ...(column.comment ? { comment: column.comment } : {}),
      })),
    },
  };
}
