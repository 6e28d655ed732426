// Where a learner is in the course, kept across restarts of `cellblock learn`:
// one small JSON file under the data dir. Written whole to a temporary file
// and renamed over the old one, so a crash never leaves half a file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../runtime/files.js';
import { dataDir } from '../runtime/paths.js';

/** not-started → (exercise started) → exercise-passing / done (its lab passed, or marked read). */
export type ChapterState = 'not-started' | 'started' | 'exercise-passing' | 'done';

export interface Progress {
  chapters: Record<string, { state: ChapterState; updated: string }>;
  /** The chapter open when the learner last left. */
  last?: number;
}

export const progressPath = () => join(dataDir(), 'learn-progress.json');

export function readProgress(): Progress {
  try {
    const parsed = JSON.parse(readFileSync(progressPath(), 'utf8')) as Progress;
    if (parsed && typeof parsed.chapters === 'object') return parsed;
  } catch {
    // none yet (or unreadable: start over rather than refuse to start)
  }
  return { chapters: {} };
}

export function stateOf(progress: Progress, chapter: number): ChapterState {
  return progress.chapters[chapter]?.state ?? 'not-started';
}

/** Record CHAPTER's new STATE (and that it is the one open), and save. */
export function saveChapterState(chapter: number, state: ChapterState): Progress {
  const progress = readProgress();
  progress.chapters[chapter] = { state, updated: new Date().toISOString() };
  progress.last = chapter;
  writeProgress(progress);
  return progress;
}

export function writeProgress(progress: Progress): void {
  replaceFile(progressPath(), `${JSON.stringify(progress, null, 2)}\n`);
}
