// PLACEHOLDER (replaced by the TUI work in this session): the contract the CLI calls.
export interface LearnOptions {
  /** false with --no-tui: plain text. */
  tui: boolean;
}

/** `cellblock learn`: the app (a terminal) or plain text (--no-tui, or stdout not a terminal); returns the exit status. */
export async function learnApp(_options: LearnOptions): Promise<number> {
  throw new Error('cellblock learn is not built yet');
}
