// cellblock learn start | reset | solution | check N — exercise mode from the
// command line (src/learn/exercises.ts does the work; `learn` alone is the app).
import { findChapter } from '../learn/chapters.js';
import { checkExercise, resetExercise, solutionOf, startExercise } from '../learn/exercises.js';

/** Exit status of a check that could not run its proof here (a fail is 1). */
const NOT_CHECKED = 2;

export const learnStart = (number: string) => console.log(startExercise(findChapter(number)));
export const learnReset = (number: string) => console.log(resetExercise(findChapter(number)));
export const learnSolution = (number: string) => process.stdout.write(solutionOf(findChapter(number)));

/** Run the chapter's lab on the learner's file; returns the exit status. */
export async function learnCheck(number: string): Promise<number> {
  const result = await checkExercise(findChapter(number), (text) => process.stdout.write(text));
  if (result.unchecked) {
    console.log(`exercise: NOT CHECKED\n${result.unchecked}`);
    return NOT_CHECKED;
  }
  console.log(result.passed ? 'exercise: PASS' : `exercise: FAIL${result.hint ? `\nhint: ${result.hint}` : ''}`);
  return result.passed ? 0 : 1;
}
