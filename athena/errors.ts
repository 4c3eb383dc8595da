/** Errors of the named-query loader (athena/named-queries.ts). */

/** A named query file of athena/queries/ is malformed (header, parameters, file name). */
export class InvalidNamedQueryError extends Error {
  public readonly file: string;
  public constructor(file: string, problem: string, options?: ErrorOptions) {
    super(`named query ${file}: ${problem}`, options);
    this.name = 'InvalidNamedQueryError';
    this.file = file;
  }
}
