/**
 * Decoded rows a compaction holds at once. Its memory follows them (a span row decoded by hyparquet
 * is ~1.3 KB of heap), so the gauge's peak is what bounds it, whatever the size of the shard-hour.
 */
export class RowGauge {
  private held = 0;
  private highest = 0;

  public hold(rows: number): void {
    this.held += rows;
    if (this.held > this.highest) this.highest = this.held;
  }

  public release(rows: number): void {
    this.held -= rows;
  }

  /** The most rows held at any one time. */
  public get peak(): number {
    return this.highest;
  }
}
