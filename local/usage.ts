/** `--help` and `-h` of every npm command (npm start, demo, trace, query, soak, bench, cost, replay). */

/** Whether the arguments ask for the usage: `--help` or `-h` before a `--` that ends the options. */
export function usageRequested(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}
