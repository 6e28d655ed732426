// What `cellblock learn` knows about the course, as one object: the chapters,
// where their files are, the learner's progress, and what the run key does.
// The app takes it as a prop, so its tests hand it a course whose labs and
// exercises are fakes, and exercise the real decisions below.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { CHAPTERS, chapterFile, labFile, type Chapter } from '../chapters.js';
import { checkExercise, hasExercise, type CheckResult } from '../exercises.js';
import { readProgress, saveChapterState, stateOf, writeProgress, type ChapterState, type Progress } from '../progress.js';
import { runLab, type LabResult } from '../run-lab.js';

export interface Course {
  chapters: readonly Chapter[];
  /** The chapter's markdown, or undefined when its file is not written yet. */
  text(chapter: Chapter): string | undefined;
  /** The text version of an image the chapter shows (diagrams/NAME.svg → chapters/diagrams/NAME.txt). */
  imageText(chapter: Chapter, href: string): string | undefined;
  readProgress(): Progress;
  saveState(chapter: number, state: ChapterState): Progress;
  /** Remember CHAPTER as the one open, so the next start highlights it. */
  remember(chapter: number): Progress;
  runLab(chapter: Chapter, onOutput: (text: string) => void, signal: AbortSignal): Promise<LabResult>;
  hasExercise(chapter: Chapter): boolean;
  checkExercise(chapter: Chapter, onOutput: (text: string) => void, signal: AbortSignal): Promise<CheckResult>;
}

const readIfThere = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The course on disk: chapters/, labs/, exercise mode, progress under the data dir. */
export const realCourse: Course = {
  chapters: CHAPTERS,
  text: (chapter) => readIfThere(chapterFile(chapter)),
  imageText: (chapter, href) => readIfThere(join(dirname(chapterFile(chapter)), href.replace(/\.[a-z]+$/i, '.txt'))),
  readProgress,
  saveState: saveChapterState,
  remember(chapter) {
    const progress = readProgress();
    progress.last = chapter;
    writeProgress(progress);
    return progress;
  },
  runLab: (chapter, onOutput, signal) => runLab(chapter, { onOutput, signal }),
  hasExercise,
  checkExercise,
};

/** What the run key does for a chapter in STATE: the exercise's check once the learner started it, else the lab. */
export type RunKind = 'lab' | 'exercise' | 'none';

export function runKind(course: Course, chapter: Chapter, state: ChapterState): RunKind {
  if ((state === 'started' || state === 'exercise-passing') && course.hasExercise(chapter)) return 'exercise';
  return chapter.lab ? 'lab' : 'none';
}

export interface Verdict {
  kind: 'lab' | 'exercise';
  passed: boolean;
  /** The one line the app shows at the end of the output. */
  summary: string;
  /** The chapter's hint, when an exercise failed. */
  hint?: string;
  /** Why an exercise could not be checked on this machine (neither pass nor fail). */
  why?: string;
  /** The state saved for the chapter, if the run changed it. */
  saved?: ChapterState;
}

const twoDigits = (n: number) => String(n).padStart(2, '0');

/**
 * Run CHAPTER's lab, or check its exercise (see runKind), and record what
 * passing means: a lab that passes marks the chapter done; an exercise that
 * passes marks it exercise-passing (done stays for the lab, which tests the
 * real code). A failure changes nothing: the learner keeps what they had.
 */
export async function runChapter(course: Course, chapter: Chapter, onOutput: (text: string) => void, signal: AbortSignal): Promise<Verdict> {
  const number = twoDigits(chapter.number);
  const state = stateOf(course.readProgress(), chapter.number);
  const kind = runKind(course, chapter, state);
  if (kind === 'none') throw new Error(`chapter ${number} has no lab`);
  if (kind === 'exercise') {
    const result = await course.checkExercise(chapter, onOutput, signal);
    if (signal.aborted) return { kind, passed: false, summary: `STOPPED — the check of exercise ${number}` };
    if (result.unchecked) return { kind, passed: false, summary: `NOT CHECKED — exercise ${number} cannot be checked on this machine`, why: result.unchecked };
    if (!result.passed) return { kind, passed: false, summary: `FAIL — your exercise for chapter ${number} does not pass yet`, hint: result.hint };
    course.saveState(chapter.number, 'exercise-passing');
    return { kind, passed: true, summary: `PASS — your exercise for chapter ${number} passes`, saved: 'exercise-passing' };
  }
  const result = await course.runLab(chapter, onOutput, signal);
  const how = typeof result.status === 'number' ? `exited ${result.status}` : `ended by ${result.status}`;
  if (signal.aborted) return { kind, passed: false, summary: `STOPPED — lab ${number} ${how}` };
  if (!result.passed) return { kind, passed: false, summary: `FAIL — lab ${number} ${how}` };
  course.saveState(chapter.number, 'done');
  return { kind, passed: true, summary: `PASS — lab ${number} ${how}; chapter ${number} is done`, saved: 'done' };
}

/** A state as the list shows it; a chapter whose file does not exist yet says so. */
export function stateLabel(state: ChapterState, written: boolean): string {
  if (!written) return 'not written';
  return { 'not-started': 'not started', started: 'exercise started', 'exercise-passing': 'exercise passing', done: 'done' }[state];
}

/** PATH as a learner would type it from where they are: relative inside the working directory (not /), else absolute. */
export function shownPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return cwd !== '/' && rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

export const chapterPath = (chapter: Chapter) => shownPath(chapterFile(chapter));
export const labCommand = (chapter: Chapter) => `node ${shownPath(labFile(chapter))}`;
