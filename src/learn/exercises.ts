// PLACEHOLDER (replaced by the exercise-mode work in this session): the contract the CLI calls.
import type { Chapter } from './chapters.js';

export interface CheckResult {
  passed: boolean;
  /** On failure: the chapter's hint for this exercise. */
  hint?: string;
}

/** `learn start N`: write exercises/NN-*.ts (the step module, its exercise region a TODO); returns its path. */
export function startExercise(_chapter: Chapter): string {
  throw new Error('exercise mode is not built yet');
}
/** `learn reset N`: the exercise file back to its starting state; returns its path. */
export function resetExercise(_chapter: Chapter): string {
  throw new Error('exercise mode is not built yet');
}
/** `learn solution N`: the real code of the exercise region, with its file path. */
export function solutionOf(_chapter: Chapter): string {
  throw new Error('exercise mode is not built yet');
}
/** `learn check N`: build the learner's file, run the chapter's lab on it, pass or fail with the hint. */
export async function checkExercise(_chapter: Chapter, _onOutput?: (text: string) => void): Promise<CheckResult> {
  throw new Error('exercise mode is not built yet');
}
/** Whether CHAPTER has an exercise at all. */
export function hasExercise(_chapter: Chapter): boolean {
  return false;
}
