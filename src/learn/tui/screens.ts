// The app's four screens, each a frame of exactly the size it is given: the
// chapter list, the reader, a lab's output, the keys. They only draw; app.ts
// holds the state and reads the keys.
import { createElement as h, type ReactElement } from 'react';
import { Text } from 'ink';
import type { Chapter } from '../chapters.js';
import { stateOf, type ChapterState, type Progress } from '../progress.js';
import { span, spansWidth, wrapWithPrefix, type Line, type Style } from '../markdown-wrap.js';
import { Frame, spansText, visibleSpans } from './draw.js';
import { chapterPath, labCommand, stateLabel, type Verdict } from './course.js';
import { whereIn, type Extent, type Position } from './scroll.js';

export const twoDigits = (n: number) => String(n).padStart(2, '0');

export const KEYS = {
  list: '↑↓ choose · enter read · r run lab · d done · ? help · q quit',
  reader: '↑↓ space b g G scroll · ←→ code · n p chapter · r run lab · d done · q back',
  lab: '↑↓ space b g G scroll · ←→ sideways · r run again · q back',
  running: 'ctrl-c stops the lab · ↑↓ space b g G scroll (G follows the output)',
  help: 'any key: back',
};

const HELP = `Chapter list
  ↑ ↓ or k j      choose a chapter
  enter or →      read it
  r               run its lab (or check your exercise, once started)
  d               mark it done (again: not done)
  q, Esc          quit (ctrl-c too)

Reading
  ↑ ↓ or k j      a line          space, PgDn / b, PgUp   a page
  g G, Home End   top, end        ← → or h l   shift code sideways
  n p             next, previous chapter
  r d             run the lab, mark done;  q, Esc   back to the list

A lab's output
  ctrl-c          stop the lab (it cleans up after itself)
  G               follow the output again after scrolling up
  r               run it again;  q, Esc   back

Progress: learn-progress.json under the data dir ($XDG_DATA_HOME/cellblock
or ~/.local/share/cellblock). --no-tui: the course as plain text.`;

const STATE_STYLE: Record<string, Style> = { done: 'path', 'exercise passing': 'path', 'exercise started': 'code', 'not written': 'dim' };

export interface Size {
  width: number;
  height: number;
}

export interface ListProps extends Size {
  chapters: readonly Chapter[];
  progress: Progress;
  written: readonly boolean[];
  selected: number;
  runsExercise: boolean;
  message?: string;
}

/** The table of contents: one row per chapter with its state, the chosen one's files below. */
export function ListScreen({ chapters, progress, written, selected, runsExercise, width, height, message }: ListProps): ReactElement {
  const states = chapters.map((chapter, i) => stateLabel(stateOf(progress, chapter.number), written[i]));
  const done = chapters.filter((chapter) => stateOf(progress, chapter.number) === 'done').length;
  const stateWidth = Math.max(...states.map((s) => s.length));
  const titleWidth = width - 8 - stateWidth - 2; // "▸ NN  " + title + "  " + state
  // A short terminal shows a window of the list that keeps the chosen row in it.
  const rows = Math.max(height - 2 - 4, 1);
  const first = Math.min(Math.max(selected - Math.floor(rows / 2), 0), Math.max(chapters.length - rows, 0));
  const body: ReactElement[] = [spansText([], 'top')];
  chapters.slice(first, first + rows).forEach((chapter, offset) => {
    const i = first + offset;
    const title = chapter.title.length > titleWidth ? `${chapter.title.slice(0, titleWidth - 1)}…` : chapter.title.padEnd(titleWidth);
    const left = `${i === selected ? '▸' : ' '} ${twoDigits(chapter.number)}  ${title}  `;
    if (i === selected) body.push(h(Text, { key: i, inverse: true, wrap: 'truncate-end' }, `${left}${states[i].padStart(stateWidth)}`));
    else body.push(spansText([span(left), span(states[i].padStart(stateWidth), STATE_STYLE[states[i]] ?? 'text')], i));
  });
  const chapter = chapters[selected];
  const run = runsExercise ? `exercise: cellblock learn check ${chapter.number}` : chapter.lab ? `lab: ${labCommand(chapter)}` : 'no lab';
  body.push(spansText([], 'gap'), spansText([span(chapterPath(chapter), 'dim')], 'file'), spansText([span(run, 'dim')], 'run'));
  return Frame({ width, height, title: 'cellblock learn — the course', info: `${done} of ${chapters.length} done`, body, keys: KEYS.list, message });
}

export interface ReaderProps extends Size {
  chapter: Chapter;
  state: ChapterState;
  lines: readonly Line[];
  at: Position;
  extent: Extent;
  message?: string;
}

/** A chapter, from line AT.top. */
export function ReaderScreen({ chapter, state, lines, at, extent, width, height, message }: ReaderProps): ReactElement {
  const body = lines.slice(at.top, at.top + extent.height).map((line, i) => spansText(visibleSpans(line, width, at.left), i));
  const info = `${stateLabel(state, true)} · ${whereIn(at, extent)}`;
  return Frame({ width, height, title: `${twoDigits(chapter.number)} · ${chapter.title}`, info, body, keys: KEYS.reader, message });
}

export interface Job {
  /** The chapter's index in the course. */
  index: number;
  kind: 'lab' | 'exercise';
  /** The screen q goes back to. */
  from: 'list' | 'reader';
  output: string;
  /** Set when the run ended. */
  verdict?: Verdict;
}

export interface LabProps extends Size {
  chapter: Chapter;
  job: Job;
  lines: readonly Line[];
  at: Position;
  extent: Extent;
  message?: string;
}

/** The lines an exercise's verdict adds after the output: the hint of a failure, or why it could not be checked. */
export function hintLines(verdict: Verdict | undefined, width: number): Line[] {
  const [label, text] = verdict?.hint ? ['hint: ', verdict.hint] : verdict?.why ? ['why: ', verdict.why] : [];
  if (!label || !text) return [];
  return [{ prefix: [], spans: [] }, ...wrapWithPrefix([span(text, 'code')], width, [span(label, 'strong')], [span(' '.repeat(label.length))])];
}

/** A lab's output (the view's last lines while it runs), and the verdict line under it. */
export function LabScreen({ chapter, job, lines, at, extent, width, height, message }: LabProps): ReactElement {
  const body = lines.slice(at.top, at.top + extent.height).map((line, i) => spansText(visibleSpans(line, width, at.left), i));
  const padding = Array.from({ length: Math.max(extent.height - body.length, 0) }, (_, i) => spansText([], `pad${i}`));
  const { verdict } = job;
  const what = job.kind === 'exercise' ? 'checking your exercise' : `running ${labCommand(chapter)}`;
  const status = verdict
    ? h(Text, { key: 'verdict', bold: true, color: verdict.passed ? 'green' : 'red', wrap: 'truncate-end' }, verdict.summary)
    : h(Text, { key: 'verdict', color: 'yellow', wrap: 'truncate-end' }, `${what} …`);
  const title = `${job.kind === 'exercise' ? 'Exercise' : 'Lab'} ${twoDigits(chapter.number)} · ${chapter.title}`;
  const keys = verdict ? KEYS.lab : KEYS.running;
  return Frame({ width, height, title, info: whereIn(at, extent), body: [...body, ...padding, status], keys, message });
}

/** The keys of every screen. */
export function HelpScreen({ width, height }: Size): ReactElement {
  const body = HELP.split('\n').map((line, i) => spansText([span(line, /^\S/.test(line) ? 'strong' : 'text')], i));
  return Frame({ width, height, title: 'cellblock learn — keys', info: '', body, keys: KEYS.help });
}

/** The widest preformatted line of LINES, prefix included: how far ←/→ can shift. */
export const widest = (lines: readonly Line[]) => Math.max(0, ...lines.filter((l) => l.pre).map((l) => spansWidth(l.prefix) + spansWidth(l.spans)));
