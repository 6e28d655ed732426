// `cellblock learn` on a terminal: the chapter list, the reader and a lab's
// live output, drawn with ink (React for terminals). This file holds the
// state and the keys; screens.ts draws. ink and React are loaded only here,
// and only when stdout and stdin are a terminal.
import { createElement as h, useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { render, useApp, useInput, useStdout, type Key } from 'ink';
import { constants } from 'node:os';
import { renderMarkdown } from '../markdown.js';
import { preLines, span, wrapWithPrefix, type Line } from '../markdown-wrap.js';
import { stateOf } from '../progress.js';
import { chapterPath, runChapter, runKind, type Course, type Verdict } from './course.js';
import { HelpScreen, hintLines, LabScreen, ListScreen, ReaderScreen, twoDigits, widest, type Job } from './screens.js';
import { lastTop, scrollMove, type Extent, type Position } from './scroll.js';

export interface AppProps {
  course: Course;
  /** The terminal's size (the running app follows resizes; tests give 80×24). */
  columns: number;
  rows: number;
  /** Aborted from outside (SIGTERM, SIGHUP): quit as q does, stopping a running lab first. */
  quit?: AbortSignal;
}

type Screen = 'list' | 'reader' | 'lab' | 'help';

const TOP: Position = { top: 0, left: 0 };
const firstLine = (error: unknown) => String((error as Error)?.message ?? error).split('\n')[0];

export function App({ course, columns, rows, quit }: AppProps): ReactElement {
  const { exit } = useApp();
  const { chapters } = course;
  const [progress, setProgress] = useState(() => course.readProgress());
  const written = useMemo(() => chapters.map((chapter) => course.text(chapter) !== undefined), [course]);
  // Reopening the app puts the learner back on the chapter they had open.
  const [selected, setSelected] = useState(() => Math.max(chapters.findIndex((c) => c.number === progress.last), 0));
  const [screen, setScreen] = useState<Screen>('list');
  const [beforeHelp, setBeforeHelp] = useState<Screen>('list');
  const [text, setText] = useState<string>();
  const [positions, setPositions] = useState<Record<number, Position>>({});
  const [job, setJob] = useState<Job>();
  // While following, the lab's view stays on its last lines as output arrives.
  const [labAt, setLabAt] = useState<Position & { following: boolean }>({ ...TOP, following: true });
  const [message, setMessage] = useState<string>();
  const running = useRef<{ controller: AbortController; kind: Job['kind'] }>(undefined);
  const quitting = useRef(false);

  // One line less than the terminal: once a frame is as tall as the terminal,
  // ink clears the whole screen before every frame (it flickers while a lab's
  // output streams); one line shorter, it redraws the frame in place.
  const width = Math.max(columns, 20);
  const height = Math.max(rows - 1, 4);
  const chapter = chapters[selected];

  const readerLines = useMemo<Line[]>(() => {
    if (text === undefined) return wrapWithPrefix([span(`${chapterPath(chapter)} is not written yet.`, 'dim')], width);
    return renderMarkdown(text, { width, imageText: (href) => course.imageText(chapter, href) });
  }, [text, chapter, width]);
  const readerExtent: Extent = { height: height - 2, total: readerLines.length, wide: widest(readerLines), width };
  const readerAt = positions[selected] ?? TOP;

  const labLines = useMemo<Line[]>(() => [...(job?.output ? preLines(job.output, 'pre') : []), ...hintLines(job?.verdict, width)], [job, width]);
  const labExtent: Extent = { height: height - 3, total: labLines.length, wide: widest(labLines), width };
  const following = (at: typeof labAt): Position => (at.following ? { top: lastTop(labExtent), left: at.left } : at);
  const labView = following(labAt);

  /** Run FN, which saves progress; a failure to save (a read-only home) is said, not fatal. */
  function saving(fn: () => void) {
    try {
      fn();
    } catch (error) {
      setMessage(`progress not saved: ${firstLine(error)}`);
    }
  }

  function open(index: number) {
    const next = chapters[index];
    if (!next) return;
    setSelected(index);
    setText(course.text(next));
    setScreen('reader');
    saving(() => setProgress(course.remember(next.number)));
  }

  function toggleDone(index: number) {
    const target = chapters[index];
    if (!written[index]) return setMessage(`chapter ${twoDigits(target.number)} is not written yet`);
    const state = stateOf(progress, target.number) === 'done' ? 'not-started' : 'done';
    saving(() => {
      setProgress(course.saveState(target.number, state));
      setMessage(state === 'done' ? `chapter ${twoDigits(target.number)} marked done` : `chapter ${twoDigits(target.number)}: not done`);
    });
  }

  function run(index: number, from: Job['from']) {
    const target = chapters[index];
    if (running.current) return setMessage('a lab is running: ctrl-c stops it');
    const kind = runKind(course, target, stateOf(progress, target.number));
    if (kind === 'none') return setMessage(`chapter ${twoDigits(target.number)} has no lab`);
    const controller = new AbortController();
    running.current = { controller, kind };
    setJob({ index, kind, from, output: '' });
    setLabAt({ ...TOP, following: true });
    setScreen('lab');
    const append = (output: string) => setJob((current) => current && { ...current, output: current.output + output });
    runChapter(course, target, append, controller.signal)
      .catch((error): Verdict => ({ kind, passed: false, summary: `ERROR — ${firstLine(error)}` }))
      .then((verdict) => {
        running.current = undefined;
        setJob((current) => current && { ...current, verdict });
        setProgress(course.readProgress());
        if (quitting.current) exit();
      });
  }

  /** Ctrl-C during a run: the lab gets SIGTERM, and its own finish() removes what it started. */
  function stop() {
    if (!running.current) return;
    running.current.controller.abort();
    setMessage(running.current.kind === 'exercise' ? 'stopping the check…' : 'stopping the lab…');
  }

  /** Quit; with a lab running, stop it and wait for it to end, so no process of it is left behind. */
  function leave() {
    if (!running.current) return exit();
    quitting.current = true;
    stop();
    setMessage('stopping the lab, then quitting…');
  }

  const leaveRef = useRef(leave);
  leaveRef.current = leave;
  useEffect(() => {
    const onQuit = () => leaveRef.current();
    if (quit?.aborted) onQuit();
    quit?.addEventListener('abort', onQuit);
    return () => quit?.removeEventListener('abort', onQuit);
  }, [quit]);

  function listKey(input: string, key: Key) {
    const last = chapters.length - 1;
    if (key.upArrow || input === 'k') setSelected((at) => Math.max(at - 1, 0));
    else if (key.downArrow || input === 'j') setSelected((at) => Math.min(at + 1, last));
    else if (key.home || input === 'g') setSelected(0);
    else if (key.end || input === 'G') setSelected(last);
    else if (key.return || key.rightArrow || input === 'l') open(selected);
    else if (input === 'r') run(selected, 'list');
    else if (input === 'd') toggleDone(selected);
    else if (input === 'q' || key.escape) leave();
  }

  function readerKey(input: string, key: Key) {
    const move = scrollMove(input, key);
    if (move) setPositions((all) => ({ ...all, [selected]: move(all[selected] ?? TOP, readerExtent) }));
    else if (input === 'n') open(selected + 1);
    else if (input === 'p') open(selected - 1);
    else if (input === 'r') run(selected, 'reader');
    else if (input === 'd') toggleDone(selected);
    else if (input === 'q' || key.escape) setScreen('list');
  }

  function labKey(input: string, key: Key) {
    const move = scrollMove(input, key);
    if (move) {
      setLabAt((at) => {
        const moved = move(following(at), labExtent);
        return { ...moved, following: moved.top >= lastTop(labExtent) }; // back at the end: follow again
      });
    } else if (input === 'r' && job) run(job.index, job.from);
    else if (input === 'q' || key.escape) {
      if (running.current) setMessage('the lab is running: ctrl-c stops it');
      else setScreen(job?.from ?? 'list');
    }
  }

  function onKey(input: string, key: Key) {
    // Raw mode turns ctrl-c into a key: it stops a running lab, else quits.
    if (key.ctrl && input === 'c') return running.current ? stop() : leave();
    if (screen === 'help') return setScreen(beforeHelp);
    if (input === '?') {
      setBeforeHelp(screen);
      return setScreen('help');
    }
    if (screen === 'list') listKey(input, key);
    else if (screen === 'reader') readerKey(input, key);
    else labKey(input, key);
  }

  // Keys wait in a queue and are handled one per render, each with the state
  // the one before left (a "qq" typed fast: back to the list, then quit).
  // Letters that arrive together (a held-down j, keys typed while a frame
  // was drawn) come from ink as one string: each is a key press of its own.
  const pending = useRef<{ input: string; key: Key }[]>([]);
  const [, setQueued] = useState(0);
  useInput((input, key) => {
    const presses = input.length > 1 && !key.ctrl && !key.meta ? Array.from(input) : [input];
    // (ink marks a lone \r as return; one inside such a string is marked here.)
    pending.current.push(...presses.map((press) => ({ input: press, key: press === '\r' || press === '\n' ? { ...key, return: true } : key })));
    setQueued((n) => n + 1);
  });
  useEffect(() => {
    const next = pending.current.shift();
    if (!next) return;
    setMessage(undefined);
    onKey(next.input, next.key);
    if (pending.current.length) setQueued((n) => n + 1);
  });

  const size = { width, height, message };
  if (screen === 'help') return HelpScreen({ width, height });
  if (screen === 'reader') {
    return ReaderScreen({ ...size, chapter, state: stateOf(progress, chapter.number), lines: readerLines, at: readerAt, extent: readerExtent });
  }
  if (screen === 'lab' && job) {
    return LabScreen({ ...size, chapter: chapters[job.index], job, lines: labLines, at: labView, extent: labExtent });
  }
  const runsExercise = runKind(course, chapter, stateOf(progress, chapter.number)) === 'exercise';
  return ListScreen({ ...size, chapters, progress, written, selected, runsExercise });
}

/** The app at the terminal's size, following resizes (a window dragged, an SSH client's SIGWINCH). */
function Sized({ course, quit }: { course: Course; quit: AbortSignal }): ReactElement {
  const { stdout } = useStdout();
  const measure = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(measure);
  useEffect(() => {
    const onResize = () => setSize(measure());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return h(App, { course, quit, ...size });
}

// The alternate screen, as less and vi use it: the app has the whole
// terminal, and leaving gives the shell's screen back as it was.
const ALTERNATE_SCREEN = '\x1b[?1049h';
const MAIN_SCREEN = '\x1b[?1049l';

/** Run the app until the learner quits; the exit status (128+n after signal n, as a shell reports it). */
export async function runApp(course: Course): Promise<number> {
  const quit = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  // A closed SSH session sends SIGHUP; `kill` sends SIGTERM: both quit as q
  // does (the lab stopped and waited for), rather than leave one running.
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = signal;
    quit.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  const restore = () => process.stdout.write(MAIN_SCREEN);
  // Whatever ends the process (an uncaught error included), the shell's screen comes back.
  process.once('exit', restore);
  process.stdout.write(ALTERNATE_SCREEN);
  try {
    const app = render(h(Sized, { course, quit: quit.signal }), { exitOnCtrlC: false, patchConsole: false });
    await app.waitUntilExit();
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.off('exit', restore);
    restore();
  }
  return signalled ? 128 + constants.signals[signalled] : 0;
}
