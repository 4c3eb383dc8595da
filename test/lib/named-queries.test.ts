/**
 * The named queries as AthenaWorkspace saves them (lib/named-queries.ts), and the saved queries in
 * the synthesized TracePipeline. The query files themselves: test/athena/named-queries.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { athenaNamedQueries } from '../../lib/named-queries.ts';
import { synthPipeline } from '../support/cdk.ts';

describe('athenaNamedQueries', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tracesift-queries-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (files: Record<string, string>): string => {
    const sub = mkdtempSync(join(dir, 'q-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(sub, name), text);
    return sub;
  };

  it('rejects a description that outgrows 1024 characters once the parameters are appended', () => {
    const sub = write({
      'a.sql': `-- title: T\n-- description: ${'d'.repeat(1000)}\n-- param: x varchar ${'p'.repeat(60)}\nSELECT ?`,
    });
    expect(() => athenaNamedQueries(sub)).toThrow(/over Athena's 1024/);
  });
});

describe('TracePipeline', () => {
  const extra = { name: 'Mine', description: 'my query', sql: 'SELECT count(*) FROM spans' };
  let synthesized: ReturnType<typeof synthPipeline>;
  // One synth, in a hook (a pipeline synth takes seconds).
  beforeAll(() => {
    synthesized = synthPipeline({
      analytics: { databaseName: 'traces_prod' },
      athena: { namedQueries: [extra] },
    });
  });

  it("saves every named query, then the user's, in its workgroup and database, after the tables", () => {
    // Prepare
    const { template, pipeline } = synthesized;
    const expected = [...athenaNamedQueries(), extra];
    // Act
    const saved = Object.values(template.findResources('AWS::Athena::NamedQuery'));
    const tables = template.findResources('AWS::Glue::Table');
    // Assess
    expect(saved.map((r) => r.Properties.Name)).toEqual(expected.map((q) => q.name));
    for (const [index, resource] of saved.entries()) {
      const definition = expected[index];
      expect(resource.Properties).toMatchObject({
        Database: 'traces_prod',
        WorkGroup: pipeline.athena.workGroupName,
        QueryString: definition?.sql,
        Description: definition?.description,
      });
      expect(resource.DependsOn).toEqual(expect.arrayContaining(Object.keys(tables)));
    }
  });

  it('creates the tables the queries name in that database', () => {
    const tables = Object.values(synthesized.template.findResources('AWS::Glue::Table'));
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(['edges', 'spans', 'traces']);
    for (const table of tables) expect(table.Properties.DatabaseName).toBe('traces_prod');
  });
});
