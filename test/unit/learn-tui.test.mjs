// The `cellblock learn` app's screens, driven with ink-testing-library at
// 80×24: keys are written to a fake stdin, frames read from a fake stdout.
// The course is a fake whose labs and exercises the test finishes by hand, so
// streaming, the verdict, ctrl-c and what is saved are checked exactly; the
// real labs run in test/e2e/learn-tui.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createElement as h } from 'react';
import { render } from 'ink-testing-library';
import { App } from '../../dist/learn/tui/app.js';
import { CHAPTERS } from '../../dist/learn/chapters.js';

const KEY = { down: '\x1b[B', up: '\x1b[A', right: '\x1b[C', enter: '\r', ctrlC: '\x03' };
const plain = (frame) => frame.replace(/\x1b\[[0-9;]*m/g, '');
const width = (line) => Array.from(line).length;

/** A course whose files are TEXTS (chapter number → markdown) and whose progress lives in memory. */
function fakeCourse({ texts = {}, images = {}, progress = { chapters: {} }, lab, exercise } = {}) {
  const saved = structuredClone(progress);
  const calls = { saved: [], remembered: [], labs: 0, checks: 0 };
  return {
    calls,
    chapters: CHAPTERS,
    text: (chapter) => texts[chapter.number],
    imageText: (_chapter, href) => images[href],
    readProgress: () => structuredClone(saved),
    saveState(number, state) {
      calls.saved.push([number, state]);
      saved.chapters[number] = { state, updated: new Date().toISOString() };
      saved.last = number;
      return structuredClone(saved);
    },
    remember(number) {
      calls.remembered.push(number);
      saved.last = number;
      return structuredClone(saved);
    },
    runLab: (...args) => {
      calls.labs++;
      return lab(...args);
    },
    hasExercise: () => Boolean(exercise),
    checkExercise: (...args) => {
      calls.checks++;
      return exercise(...args);
    },
  };
}

/** A lab that prints a first line at once and ends when the test says (or when aborted, as lab.mjs does on SIGTERM). */
function heldLab() {
  const runs = [];
  const lab = (chapter, onOutput, signal) => new Promise((resolve) => {
    const run = { chapter, signal, end: (passed) => resolve({ passed, status: passed ? 0 : 1, output: '' }) };
    runs.push(run);
    onOutput('Lab 5 · the uts and ipc namespaces\n  ✔ the container has a uts namespace of its own\n');
    signal.addEventListener('abort', () => {
      onOutput('  ✘ the lab stopped early: interrupted by SIGTERM\n');
      run.end(false);
    });
  });
  return { lab, runs };
}

const WRITTEN = Object.fromEntries(CHAPTERS.filter((c) => c.number >= 1 && c.number <= 11).map((c) => [c.number, `# ${c.title}\n\nSome text.\n`]));

/**
 * The app at COLUMNS×ROWS, unmounted when test T ends. ink-testing-library
 * keeps each frame its stdout receives; we make that stdout also emit each
 * frame, so a test waits for the frame it expects instead of sleeping.
 */
function start(t, course, { columns = 80, rows = 24, quit } = {}) {
  const app = render(h(App, { course, columns, rows, quit }));
  t.after(() => app.unmount());
  const frames = new EventEmitter();
  const write = app.stdout.write;
  app.stdout.write = (frame) => {
    write(frame);
    frames.emit('frame', plain(frame));
  };
  const frame = () => plain(app.lastFrame() ?? '');
  return {
    app,
    frame,
    press: (keys) => app.stdin.write(keys),
    /** The first frame (this one or a later one) that PREDICATE accepts. */
    until(predicate, what = String(predicate), ms = 3000) {
      if (predicate(frame())) return Promise.resolve(frame());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          frames.off('frame', look);
          reject(new Error(`no frame with ${what} within ${ms} ms; the last:\n${frame()}`));
        }, ms);
        const look = (next) => {
          if (!predicate(next)) return;
          clearTimeout(timer);
          frames.off('frame', look);
          resolve(next);
        };
        frames.on('frame', look);
      });
    },
    showing(text, ms) {
      return this.until((f) => (text instanceof RegExp ? text.test(f) : f.includes(text)), JSON.stringify(String(text)), ms);
    },
  };
}

/** Every line of FRAME within 80 columns, and the frame within 23 lines (one less than the terminal: see app.ts). */
function assertFits(frame, columns = 80, rows = 24) {
  const lines = frame.replace(/\n$/, '').split('\n');
  assert.ok(lines.length <= rows - 1, `${lines.length} lines:\n${frame}`);
  const wide = lines.filter((line) => width(line) > columns);
  assert.deepEqual(wide, [], 'lines wider than the terminal');
}

test('the chapter list at 80×24: all 13 chapters with their states, the chapter last open chosen', async (t) => {
  const course = fakeCourse({ texts: WRITTEN, progress: { chapters: { 1: { state: 'done' }, 3: { state: 'started' } }, last: 5 } });
  const ui = start(t, course);
  const frame = await ui.showing('cellblock learn');
  assertFits(frame);
  for (const chapter of CHAPTERS) assert.match(frame, new RegExp(`${String(chapter.number).padStart(2, '0')}  ${chapter.title.slice(0, 20)}`));
  assert.match(frame, /▸ 05 {2}UTS and IPC namespaces +not started/);
  assert.match(frame, /00 {2}Setup.*not written/);
  assert.match(frame, /01 {2}A container is a process +done/);
  assert.match(frame, /03 {2}The mount namespace +exercise started/);
  assert.match(frame, /12 {2}Putting it together +not written/);
  assert.match(frame, /1 of 13 done/);
  assert.match(frame, /lab: node \S*labs\/05-uts-ipc\/lab\.mjs/);

  // A short terminal shows the part of the list around the chosen chapter.
  const small = start(t, course, { columns: 60, rows: 12 });
  const smallFrame = await small.showing('▸ 05');
  assertFits(smallFrame, 60, 12);
});

test('the reader: a chapter at 80 columns, the quoted file\'s path, a diagram as text, scrolling and back', async (t) => {
  const paragraphs = Array.from({ length: 30 }, (_, i) => `Paragraph ${i}: ${'words that wrap at the edge of the terminal '.repeat(3)}`);
  const text = [
    '# 05 — UTS and IPC namespaces',
    '',
    '![The uts namespace holds two strings](diagrams/uts.svg)',
    '',
    '### `src/init/uts-ipc.ts` — `setHostname`',
    '',
    '```ts',
    `    sethostname(spec.hostname); // THE-END-OF-A-LONG-LINE ${'x'.repeat(60)} TAIL`,
    '```',
    '',
    ...paragraphs.flatMap((p) => [p, '']),
    'The last words.',
  ].join('\n');
  const course = fakeCourse({ texts: { ...WRITTEN, 5: text }, images: { 'diagrams/uts.svg': '┌ hostname ┐ ┌ domainname ┐\n└──────────┘ └────────────┘' }, progress: { chapters: {}, last: 5 } });
  const ui = start(t, course);
  await ui.showing('▸ 05');
  ui.press(KEY.enter);
  let frame = await ui.showing('05 · UTS and IPC namespaces');
  assertFits(frame);
  assert.deepEqual(course.calls.remembered, [5], 'the open chapter is remembered for the next start');
  assert.match(frame, /── src\/init\/uts-ipc\.ts — setHostname ─+/);
  assert.match(frame, /▣ The uts namespace holds two strings\n┊ ┌ hostname ┐ ┌ domainname ┐\n┊ └─+┘ └─+┘/);
  assert.match(frame, /│ {5}sethostname\(spec\.hostname\); \/\/ THE-END-OF-A-LONG-LINE x+›/, 'long code is clipped, with a › at the edge');
  assert.doesNotMatch(frame, /TAIL/);
  assert.match(frame, /· top/);

  ui.press('llllllll'); // 8 × 8 columns to the right, one key at a time
  frame = await ui.showing('TAIL');
  assert.match(frame, /│ .*x TAIL\n/);
  assert.doesNotMatch(frame, /sethostname/, 'the code moved left');
  assert.match(frame, /Paragraph 0: words/, 'prose does not move sideways');

  ui.press('G');
  frame = await ui.showing('The last words.');
  assert.match(frame, /· end/);
  assertFits(frame);
  ui.press(' ');
  await ui.showing('The last words.'); // at the end already: stays
  ui.press('g');
  await ui.showing('· top');
  ui.press('q');
  await ui.showing('▸ 05');
});

test('r runs the lab: its output streams in, the verdict comes at the end, the chapter is done', async (t) => {
  const held = heldLab();
  const course = fakeCourse({ texts: WRITTEN, lab: held.lab, progress: { chapters: {}, last: 5 } });
  const ui = start(t, course);
  await ui.showing('▸ 05');
  ui.press('r');
  let frame = await ui.showing('✔ the container has a uts namespace of its own');
  assert.match(frame, /Lab 05 · UTS and IPC namespaces/);
  assert.match(frame, /running node \S*labs\/05-uts-ipc\/lab\.mjs …/);
  assert.match(frame, /ctrl-c stops the lab/);
  assert.equal(held.runs.length, 1);
  assert.equal(held.runs[0].chapter.number, 5);
  held.runs[0].end(true);
  frame = await ui.showing('PASS — lab 05 exited 0; chapter 05 is done');
  assertFits(frame);
  assert.deepEqual(course.calls.saved, [[5, 'done']]);
  ui.press('q');
  frame = await ui.showing(/▸ 05 {2}UTS and IPC namespaces +done/);
  assert.match(frame, /1 of 13 done/);
});

test('ctrl-c stops a running lab (its signal is aborted), not the app; nothing is saved', async (t) => {
  const held = heldLab();
  const course = fakeCourse({ texts: WRITTEN, lab: held.lab, progress: { chapters: {}, last: 5 } });
  const ui = start(t, course);
  await ui.showing('▸ 05');
  ui.press('r');
  await ui.showing('✔ the container has a uts namespace');
  ui.press('q');
  await ui.showing('the lab is running: ctrl-c stops it');
  ui.press(KEY.ctrlC);
  const frame = await ui.showing('STOPPED — lab 05 exited 1');
  assert.equal(held.runs[0].signal.aborted, true);
  assert.match(frame, /✘ the lab stopped early: interrupted by SIGTERM/);
  assert.deepEqual(course.calls.saved, []);
  ui.press('q');
  await ui.showing(/▸ 05 {2}UTS and IPC namespaces +not started/);
});

test('a started exercise: r checks it instead of the lab — NOT CHECKED where it cannot be, FAIL with the hint, then PASS marks it exercise passing', async (t) => {
  const unchecked = 'exercise 5 cannot be checked here: the lab skipped "the hostname"; it needs a machine like the VM';
  const answers = [{ passed: false, unchecked }, { passed: false, hint: 'sethostname(2) takes the name and its length' }, { passed: true }];
  const exercise = async (_chapter, onOutput) => {
    onOutput('building exercises/05-uts-ipc.ts\n');
    return answers.shift();
  };
  const course = fakeCourse({ texts: WRITTEN, exercise, lab: () => assert.fail('the lab ran instead of the exercise check'), progress: { chapters: { 5: { state: 'started' } }, last: 5 } });
  const ui = start(t, course);
  let frame = await ui.showing('▸ 05');
  assert.match(frame, /exercise: cellblock learn check 5/);
  ui.press('r');
  frame = await ui.showing('NOT CHECKED — exercise 05 cannot be checked on this machine');
  assert.match(frame, /why: exercise 5 cannot be checked here: the lab skipped "the hostname";/);
  assert.doesNotMatch(frame, /hint:|FAIL|PASS/);
  assert.deepEqual(course.calls.saved, []);
  ui.press('r');
  frame = await ui.showing('FAIL — your exercise for chapter 05 does not pass yet');
  assert.match(frame, /Exercise 05 · UTS and IPC namespaces/);
  assert.match(frame, /building exercises\/05-uts-ipc\.ts/);
  assert.match(frame, /hint: sethostname\(2\) takes the name and its length/);
  assert.deepEqual(course.calls.saved, []);
  ui.press('r');
  await ui.showing('PASS — your exercise for chapter 05 passes');
  assert.deepEqual(course.calls.saved, [[5, 'exercise-passing']]);
  assert.equal(course.calls.checks, 3);
  assert.equal(course.calls.labs, 0);
  ui.press('q');
  await ui.showing(/▸ 05 {2}UTS and IPC namespaces +exercise passing/);
});

test('d marks done and undone; a chapter with no lab, or no file yet, says so instead of failing', async (t) => {
  const course = fakeCourse({ texts: WRITTEN });
  const ui = start(t, course);
  await ui.showing('▸ 00');
  ui.press('r');
  await ui.showing('chapter 00 has no lab');
  ui.press('d');
  await ui.showing('chapter 00 is not written yet');
  ui.press(KEY.enter);
  let frame = await ui.showing('00 · Setup');
  assert.match(frame, /chapters\/00-setup\.md is not written yet\./);
  ui.press('n'); // the next chapter, from the reader
  await ui.showing('01 · A container is a process');
  ui.press('d');
  frame = await ui.showing('chapter 01 marked done');
  assert.match(frame, /01 · A container is a process +done · all/);
  ui.press('d');
  await ui.showing('chapter 01: not done');
  assert.deepEqual(course.calls.saved, [[1, 'done'], [1, 'not-started']]);
  ui.press('?');
  frame = await ui.showing('cellblock learn — keys');
  assertFits(frame);
  ui.press('x');
  await ui.showing('01 · A container is a process');
});

test('quitting while a lab runs stops the lab first', async (t) => {
  const held = heldLab();
  const course = fakeCourse({ texts: WRITTEN, lab: held.lab, progress: { chapters: {}, last: 5 } });
  const quit = new AbortController();
  const ui = start(t, course, { quit: quit.signal });
  await ui.showing('▸ 05');
  ui.press('r');
  await ui.showing('✔ the container has a uts namespace');
  // ink stops reading keys when the app ends: that is how the test sees it end.
  const ended = new Promise((resolve) => ui.app.stdin.on('removeListener', (event) => event === 'readable' && resolve()));
  quit.abort(); // what SIGTERM or SIGHUP (an SSH session closed) does
  assert.equal(held.runs[0].signal.aborted, true, 'the lab was told to stop');
  await ended;
  assert.equal(course.calls.saved.length, 0);
});
