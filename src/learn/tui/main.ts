// `cellblock learn`: the course as a terminal app, or as plain text when
// there is no terminal to draw on (--no-tui, a pipe, a CI log) or none to
// read keys from (stdin redirected: ink could not enter raw mode).
import { realCourse } from './course.js';
import { courseText } from './plain.js';

export interface LearnOptions {
  /** false with --no-tui: plain text. */
  tui: boolean;
}

/** `cellblock learn`: the app (a terminal) or plain text (--no-tui, or stdout not a terminal); returns the exit status. */
export async function learnApp(options: LearnOptions): Promise<number> {
  if (!options.tui || !process.stdout.isTTY || !process.stdin.isTTY) {
    process.stdout.write(courseText(realCourse));
    return 0;
  }
  // ink, React and the markdown parser load only here: the plain listing does not pay for them.
  const { runApp } = await import('./app.js');
  return runApp(realCourse);
}
