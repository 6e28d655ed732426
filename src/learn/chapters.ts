// The course's table of contents, in one place: `cellblock learn` lists it,
// exercise mode and the labs find their files through it. Paths are relative
// to the project's root (where chapters/ and labs/ are).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Chapter {
  /** 0–12: the chapter's number, also its file prefix (00-setup.md). */
  number: number;
  /** The file name's words: chapters/NN-SLUG.md, labs/NN-SLUG/lab.mjs. */
  slug: string;
  title: string;
  /** Whether the chapter has a lab (00 has none of its own). */
  lab: boolean;
}

export const CHAPTERS: readonly Chapter[] = [
  { number: 0, slug: 'setup', title: 'Setup: a machine to follow along on', lab: false },
  { number: 1, slug: 'process', title: 'A container is a process', lab: true },
  { number: 2, slug: 'user-namespaces', title: 'User namespaces', lab: true },
  { number: 3, slug: 'mount-namespace', title: 'The mount namespace', lab: true },
  { number: 4, slug: 'pid-namespace', title: 'The pid namespace', lab: true },
  { number: 5, slug: 'uts-ipc', title: 'UTS and IPC namespaces', lab: true },
  { number: 6, slug: 'cgroups', title: 'cgroups v2', lab: true },
  { number: 7, slug: 'overlayfs', title: 'overlayfs', lab: true },
  { number: 8, slug: 'images', title: 'Images', lab: true },
  { number: 9, slug: 'lifecycle', title: 'The life of a container', lab: true },
  { number: 10, slug: 'networking', title: 'Networking', lab: true },
  { number: 11, slug: 'security', title: 'Security', lab: true },
  { number: 12, slug: 'putting-it-together', title: 'Putting it together', lab: true },
];

/** The project's root: dist/learn/chapters.js is two levels below it. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const twoDigits = (n: number) => String(n).padStart(2, '0');

export const chapterFile = (chapter: Chapter) => join(PROJECT_ROOT, 'chapters', `${twoDigits(chapter.number)}-${chapter.slug}.md`);
export const labFile = (chapter: Chapter) => join(PROJECT_ROOT, 'labs', `${twoDigits(chapter.number)}-${chapter.slug}`, 'lab.mjs');

/** Chapter N, or a one-line error naming the ones there are. */
export function findChapter(n: number | string): Chapter {
  const number = typeof n === 'number' ? n : /^\d{1,2}$/.test(n) ? Number(n) : NaN;
  const chapter = CHAPTERS.find((c) => c.number === number);
  if (!chapter) throw new Error(`no chapter ${JSON.stringify(String(n))}: the chapters are 0 to ${CHAPTERS.at(-1)!.number}`);
  return chapter;
}
