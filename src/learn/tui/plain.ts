// `cellblock learn --no-tui`, or with stdout not a terminal (a pipe, a file,
// a CI log): the course as plain text, no escape codes, nothing to answer.
// Everything the app does can be done from it by hand: read the file, run the
// lab, start and check the exercise.
import { progressPath, stateOf } from '../progress.js';
import { chapterPath, labCommand, shownPath, stateLabel, type Course } from './course.js';

export function courseText(course: Course): string {
  const progress = course.readProgress();
  const written = course.chapters.map((chapter) => course.text(chapter) !== undefined);
  const states = course.chapters.map((chapter) => stateOf(progress, chapter.number));
  const done = states.filter((state) => state === 'done').length;
  const titleWidth = Math.max(...course.chapters.map((chapter) => chapter.title.length));
  const lines = [`The course: ${course.chapters.length} chapters, ${done} done.`, ''];
  course.chapters.forEach((chapter, i) => {
    const number = String(chapter.number).padStart(2, '0');
    lines.push(`${number}  ${chapter.title.padEnd(titleWidth)}  ${stateLabel(states[i], written[i])}`);
    lines.push(`    read: ${chapterPath(chapter)}`);
    if (chapter.lab) lines.push(`    lab:  ${labCommand(chapter)}`);
    if (course.hasExercise(chapter)) lines.push(`    exercise: cellblock learn start ${chapter.number}, then cellblock learn check ${chapter.number}`);
  });
  lines.push(
    '',
    'Labs run as you (as root, they run cellblock as the user cbtest: labs/lib.mjs).',
    `Progress: ${shownPath(progressPath())}`,
    'On a terminal, `cellblock learn` is an app: read, run labs, keep your place.',
  );
  return `${lines.join('\n')}\n`;
}
