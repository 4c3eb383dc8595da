/** Errors of the web UI's build (ui/build.ts). */

export class UiBuildError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UiBuildError';
  }
}

/** ui/index.html lacks what the query function needs to serve it from any depth of /ui/. */
export class UiPageError extends UiBuildError {
  public readonly missing: readonly string[];
  public constructor(missing: readonly string[]) {
    super(
      `ui/index.html must contain ${missing.join(', ')} (the server rewrites the base; the rest is relative)`,
    );
    this.name = 'UiPageError';
    this.missing = missing;
  }
}
