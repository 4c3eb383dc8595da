/** What every page of the UI is given: the API, its own base address, a clock and navigation. */
import type { QueryClient } from './api.ts';

export interface PageContext {
  readonly api: QueryClient;
  /** The UI's base address, ending with `/ui/`. */
  readonly uiBase: URL;
  readonly now: () => number;
  /** Shows another page of the UI, adding a history entry. */
  readonly navigate: (url: URL) => void;
  /** False once the user has moved on to another page: late answers are then dropped. */
  readonly current: () => boolean;
}
