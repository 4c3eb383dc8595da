/**
 * The named queries of athena/queries/ (read by athena/named-queries.ts) as the definitions
 * AthenaWorkspace saves: CDK reads the files at synth time.
 */
import { join } from 'node:path';
import { InvalidNamedQueryError } from '../athena/errors.ts';
import { loadNamedQueries, NAMED_QUERY_DIRECTORY } from '../athena/named-queries.ts';
import type { NamedQueryDefinition } from './athena-workspace.ts';

/**
 * The queries as Athena named queries: the title as the name, the description with the
 * parameters appended, so the console shows what each `?` asks for.
 */
export function athenaNamedQueries(directory: string = NAMED_QUERY_DIRECTORY): NamedQueryDefinition[] {
  return loadNamedQueries(directory).map((query) => {
    const parameters = query.parameters.map((p, i) => `${i + 1}. ${p.name} (${p.type}): ${p.description}`);
    const description = parameters.length
      ? `${query.description} Parameters: ${parameters.join(' ')}`
      : query.description;
    if (description.length > 1024) {
      throw new InvalidNamedQueryError(
        join(directory, `${query.name}.sql`),
        `the description with its parameters takes ${description.length} characters, over Athena's 1024`,
      );
    }
    return { name: query.title, description, sql: query.athenaSql };
  });
}
