// Exercise mode: for each chapter with an exercise, the learner writes the
// teaching lines of its step module themselves, and the chapter's lab checks
// their version of the runtime.
//
//   cellblock learn start 4      exercises/04-pid-namespace.ts: src/init/proc.ts with a TODO
//   cellblock learn check 4      build it (exercise-build.ts), run lab 4 on it: pass, or fail with the hint
//   cellblock learn solution 4   the real lines, and where they are
//   cellblock learn reset 4      the exercise file as `start` wrote it
//
// Which module and which lines: src/learn/exercise-steps.ts and the
// `// #region exercise` markers in the module (exercise-text.ts). How the
// runtime loads the learner's build instead of the real module: step-loader.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { chapterFile, labFile, PROJECT_ROOT, CHAPTERS, type Chapter } from './chapters.js';
import { buildExercise, exerciseFile, shown } from './exercise-build.js';
import { exerciseStep, type ExerciseStep } from './exercise-steps.js';
import { findRegions, hintOf, solutionText, startingText } from './exercise-text.js';
import { saveChapterState } from './progress.js';
import { runLab } from './run-lab.js';

export interface CheckResult {
  passed: boolean;
  /** On failure: the chapter's hint for this exercise. */
  hint?: string;
  /** Neither pass nor fail: the lab skipped the proof here. One line: why, and where it can be checked. */
  unchecked?: string;
}

/** Whether CHAPTER has an exercise at all. */
export function hasExercise(chapter: Chapter): boolean {
  return exerciseStep(chapter.number) !== undefined;
}

function stepOf(chapter: Chapter): ExerciseStep {
  const step = exerciseStep(chapter.number);
  if (!step) {
    const chapters = CHAPTERS.filter(hasExercise).map((c) => c.number).join(', ');
    throw new Error(`chapter ${chapter.number} has no exercise (chapters with one: ${chapters})`);
  }
  return step;
}

/** src/init/proc.ts, and its text (markers included). */
function moduleOf(step: ExerciseStep): { name: string; source: string } {
  const name = `src/${step.module}`;
  return { name, source: readFileSync(join(PROJECT_ROOT, name), 'utf8') };
}

function writeStart(chapter: Chapter): string {
  const step = stepOf(chapter);
  const { name, source } = moduleOf(step);
  const file = exerciseFile(chapter);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, startingText(source, { chapter: chapter.number, module: name, chapterFile: relative(PROJECT_ROOT, chapterFile(chapter)) }));
  saveChapterState(chapter.number, 'started');
  return file;
}

/** `learn start N`: write exercises/NN-*.ts (the step module, its exercise region a TODO); returns its path. */
export function startExercise(chapter: Chapter): string {
  stepOf(chapter);
  const file = exerciseFile(chapter);
  if (existsSync(file)) throw new Error(`exercise ${chapter.number} is started already: ${shown(file)} (\`cellblock learn reset ${chapter.number}\` starts it over)`);
  return writeStart(chapter);
}

/** `learn reset N`: the exercise file back to its starting state; returns its path. */
export function resetExercise(chapter: Chapter): string {
  return writeStart(chapter);
}

/** `learn solution N`: the real code of the exercise region, with its file path. */
export function solutionOf(chapter: Chapter): string {
  const { name, source } = moduleOf(stepOf(chapter));
  return solutionText(findRegions(source, name), name);
}

/** `learn check N`: build the learner's file, run the chapter's lab on it: pass, fail with the hint, or unchecked (the proof skipped here). */
export async function checkExercise(chapter: Chapter, onOutput: (text: string) => void = () => {}, signal?: AbortSignal): Promise<CheckResult> {
  const step = stepOf(chapter);
  const file = exerciseFile(chapter);
  if (!existsSync(file)) throw new Error(`exercise ${chapter.number} is not started: \`cellblock learn start ${chapter.number}\` writes ${shown(file)}`);
  await buildExercise(step, file); // a compile error throws its one line
  onOutput(`exercise ${chapter.number}: ${shown(file)} built in place of src/${step.module}; running ${shown(labFile(chapter))}\n\n`);

  const lab = await runLab(chapter, { onOutput, env: { CELLBLOCK_EXERCISE: String(chapter.number) }, signal });
  if (signal?.aborted) return { passed: false };
  // A lab exits 0 when nothing failed, skips included: the step counts as
  // done only when the lab ran (and passed) the check that needs it.
  const proved = lab.output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').some((line) => line.trim() === `✔ ${step.proof}`);
  // A lab that passed without it skipped it (labs/lib.mjs): this machine
  // cannot show the step, so the code was not checked — neither way.
  if (lab.passed && !proved) {
    const where = step.checkedIn ?? 'the SKIP lines above say why';
    return { passed: false, unchecked: `exercise ${chapter.number} cannot be checked here: the lab skipped "${step.proof}"; ${where}` };
  }
  if (lab.passed) {
    saveChapterState(chapter.number, 'exercise-passing');
    return { passed: true };
  }
  return { passed: false, hint: hintOf(readFileSync(chapterFile(chapter), 'utf8')) };
}
