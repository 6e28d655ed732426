// Exercise mode end to end (src/learn/exercises.ts): for every chapter with
// an exercise, the untouched exercise fails the chapter's lab — the check
// that needs the step shows ✘ — and prints the chapter's hint; the real
// lines pasted back from `learn solution` make the lab pass; `learn reset`
// puts the starting file back. The labs run cellblock as cbtest.
//
// Everything a learner has is left alone: the exercise files and the
// progress go to temporary directories (CELLBLOCK_EXERCISES_DIR,
// XDG_DATA_HOME), and the builds in dist/ are put back as they were.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collect, PROJECT } from '../../scripts/lib/as-user.mjs';
import { missingCommands } from '../../labs/lib.mjs';
import { assertOneLineError } from './fixture.mjs';

const load = (module) => import(pathToFileURL(join(PROJECT, 'dist', module)).href);
const { EXERCISE_STEPS, exerciseBuildOf } = await load('learn/exercise-steps.js');
const { CHAPTERS } = await load('learn/chapters.js');

/** What a chapter's lab needs installed beyond cellblock's own (without them it skips the step's check). */
const NEEDS = { 8: ['docker-registry', 'umoci', 'skopeo'] };
/**
 * Steps whose proof needs a machine this may not be (checkedIn): chapter 6's
 * needs a delegated cgroup v2 subtree. Without one, lab 6 skips the proof and
 * `learn check 6` must say it cannot be checked here — no FAIL, no PASS. (In
 * the VM, test/vm/exercise-06.test.mjs checks it for real.)
 */
const { detectCgroups } = await load('cgroups/detect.js');
const provable = (chapter) => chapter !== 6 || detectCgroups().delegated;
const LAB_TIMEOUT_MS = 150_000;

const home = mkdtempSync(join(tmpdir(), 'cellblock-exercises-test-'));
const exercisesDir = join(home, 'exercises');
const env = { ...process.env, FORCE_COLOR: '0', CELLBLOCK_EXERCISES_DIR: exercisesDir, XDG_DATA_HOME: join(home, 'data') };
delete env.CELLBLOCK_EXERCISE;

/** `cellblock ARGS…` as the learner types it (the labs drop to cbtest themselves). */
const cellblock = (args, extraEnv = {}) => collect(spawn(process.execPath, [join(PROJECT, 'dist/cli/main.js'), ...args], { env: { ...env, ...extraEnv }, cwd: home }));

const chapterOf = (n) => CHAPTERS.find((c) => c.number === n);
const exerciseFile = (n) => join(exercisesDir, `${String(n).padStart(2, '0')}-${chapterOf(n).slug}.ts`);
const chapterText = (n) => readFileSync(join(PROJECT, 'chapters', `${String(n).padStart(2, '0')}-${chapterOf(n).slug}.md`), 'utf8');
/** The chapter's **Hint:** paragraph, as one line. */
const hintOf = (n) => chapterText(n).split(/\n\s*\n/).find((p) => p.startsWith('**Hint:**')).replace('**Hint:**', '').replace(/\s+/g, ' ').trim();

// The learner's builds in dist/ (if any), put back afterwards.
const builds = new Map();
before(() => {
  for (const { module } of EXERCISE_STEPS) {
    const path = join(PROJECT, 'dist', exerciseBuildOf(module));
    builds.set(path, existsSync(path) ? readFileSync(path) : undefined);
  }
});
after(() => {
  for (const [path, content] of builds) {
    if (content === undefined) rmSync(path, { force: true });
    else writeFileSync(path, content);
  }
  rmSync(home, { recursive: true, force: true });
});

/** The exercise file with each TODO (and its stand-in) replaced by the matching block of `learn solution`. */
function pasteSolution(text, solution) {
  const blocks = solution.trimEnd().split('\n\n').map((block) => block.split('\n'));
  const lines = text.split('\n');
  const out = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*\/\/ TODO\(exercise \d+\): /.test(lines[i])) {
      out.push(...blocks[used++]);
      if (/\/\/ a stand-in, so that the file compiles: replace it$/.test(lines[i + 1] ?? '')) i++;
    } else {
      out.push(lines[i]);
    }
  }
  assert.equal(used, blocks.length, 'one block of the solution for each TODO');
  return out.join('\n');
}

test('the chapters with an exercise are the ones with an "## Exercise" section and a hint', () => {
  const withSection = CHAPTERS.filter((c) => c.lab && /^## Exercise$/m.test(chapterText(c.number))).map((c) => c.number);
  assert.deepEqual(withSection, EXERCISE_STEPS.map((s) => s.chapter));
  for (const { chapter } of EXERCISE_STEPS) assert.ok(hintOf(chapter).length > 40, `chapter ${chapter}'s hint`);
});

for (const { chapter, module, proof, checkedIn } of EXERCISE_STEPS.filter((step) => !provable(step.chapter))) {
  test(`exercise ${chapter} (src/${module}) on this machine: the lab skips "${proof}", so the check says it cannot be checked here`, { timeout: LAB_TIMEOUT_MS }, async () => {
    const started = await cellblock(['learn', 'start', String(chapter)]);
    assert.equal(started.code, 0, started.stderr);
    const checked = await cellblock(['learn', 'check', String(chapter)]);
    assert.equal(checked.code, 2, `neither pass (1) nor fail (0):\n${checked.stdout}${checked.stderr}`);
    assert.ok(!checked.stdout.includes(`✔ ${proof}`) && !checked.stdout.includes(`✘ ${proof}`), `the lab did not run the proof:\n${checked.stdout}`);
    assert.match(checked.stdout, /^PASS .* 0 failed, [1-9]\d* skipped$/m, 'the lab itself passed, with skips');
    assert.ok(checked.stdout.trimEnd().endsWith(`exercise: NOT CHECKED\nexercise ${chapter} cannot be checked here: the lab skipped "${proof}"; ${checkedIn}`), checked.stdout);
    assert.doesNotMatch(checked.stdout, /exercise: (PASS|FAIL)|^hint:/m);
    const progress = JSON.parse(readFileSync(join(home, 'data', 'cellblock', 'learn-progress.json'), 'utf8'));
    assert.equal(progress.chapters[chapter].state, 'started', 'an unchecked exercise is not marked passing');
    rmSync(exerciseFile(chapter));
  });
}

for (const { chapter, module, proof } of EXERCISE_STEPS.filter((step) => provable(step.chapter))) {
  test(`exercise ${chapter} (src/${module}): untouched it fails "${proof}" with the hint; the real lines pass`, { timeout: 2 * LAB_TIMEOUT_MS }, async (t) => {
    const missing = missingCommands(NEEDS[chapter] ?? []);
    if (missing.length) return t.skip(`SKIP: lab ${chapter} needs ${missing.join(', ')} to check this step`);
    const file = exerciseFile(chapter);

    const started = await cellblock(['learn', 'start', String(chapter)]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.stdout.trim(), file);
    const startText = readFileSync(file, 'utf8');
    assert.match(startText, new RegExp(`// TODO\\(exercise ${chapter}\\): `));
    assert.doesNotMatch(startText, /#region|#endregion/);

    const untouched = await cellblock(['learn', 'check', String(chapter)]);
    assert.equal(untouched.code, 1, `the untouched exercise compiles and fails the lab:\n${untouched.stdout}${untouched.stderr}`);
    assert.ok(untouched.stdout.includes(`✘ ${proof}`), `the lab's check "${proof}" fails:\n${untouched.stdout}`);
    assert.ok(untouched.stdout.includes(`exercise: FAIL\nhint: ${hintOf(chapter)}`), `the chapter's hint:\n${untouched.stdout}`);

    const solution = await cellblock(['learn', 'solution', String(chapter)]);
    assert.equal(solution.code, 0, solution.stderr);
    assert.match(solution.stdout, new RegExp(`^// src/${module}:\\d+-\\d+: `));
    writeFileSync(file, pasteSolution(startText, solution.stdout));
    const solved = await cellblock(['learn', 'check', String(chapter)]);
    assert.equal(solved.code, 0, `with the real lines the lab passes:\n${solved.stdout}${solved.stderr}`);
    assert.ok(solved.stdout.includes(`✔ ${proof}`) && solved.stdout.trimEnd().endsWith('exercise: PASS'), solved.stdout);
    const progress = JSON.parse(readFileSync(join(home, 'data', 'cellblock', 'learn-progress.json'), 'utf8'));
    assert.equal(progress.chapters[chapter].state, 'exercise-passing');

    const reset = await cellblock(['learn', 'reset', String(chapter)]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(readFileSync(file, 'utf8'), startText, 'reset writes the starting file again');
  });
}

test('bad input: one line, exit 125, and nothing written', async () => {
  const before = () => (existsSync(exercisesDir) ? readdirSync(exercisesDir).sort() : []);
  const listed = before();
  assertOneLineError(assert, await cellblock(['learn', 'start', '99']), /no chapter "99"/);
  assertOneLineError(assert, await cellblock(['learn', 'start', '12']), /chapter 12 has no exercise \(chapters with one: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\)/);
  assertOneLineError(assert, await cellblock(['learn', 'solution', '12']), /chapter 12 has no exercise/);
  rmSync(exerciseFile(3), { force: true });
  const notStarted = before();
  assertOneLineError(assert, await cellblock(['learn', 'check', '3']), /exercise 3 is not started: `cellblock learn start 3`/);
  assert.deepEqual(before(), notStarted, 'check before start writes nothing');
  assert.deepEqual(listed.filter((f) => !f.startsWith('03-')), notStarted);

  assert.equal((await cellblock(['learn', 'start', '3'])).code, 0);
  writeFileSync(exerciseFile(3), `${readFileSync(exerciseFile(3), 'utf8')}\nconst broken: number = 'text';\n`);
  const edited = readFileSync(exerciseFile(3), 'utf8');
  const { mtimeMs } = statSync(exerciseFile(3));
  const twice = await cellblock(['learn', 'start', '3']);
  assertOneLineError(assert, twice, /exercise 3 is started already: .*03-mount-namespace\.ts \(`cellblock learn reset 3` starts it over\)/);
  assert.equal(readFileSync(exerciseFile(3), 'utf8'), edited, 'a second start leaves the learner\'s file alone');
  assert.equal(statSync(exerciseFile(3)).mtimeMs, mtimeMs);

  // A compile error: FILE:LINE:COLUMN and TypeScript's message, and no lab run.
  const line = edited.split('\n').indexOf("const broken: number = 'text';") + 1;
  const broken = await cellblock(['learn', 'check', '3']);
  assertOneLineError(assert, broken, new RegExp(`exercises/03-mount-namespace\\.ts:${line}:7: Type 'string' is not assignable to type 'number'`));
  assert.doesNotMatch(broken.stdout, /Lab 3/);

  // The runtime's switch refuses what it cannot load, in one line too.
  assertOneLineError(assert, await cellblock(['ps'], { CELLBLOCK_EXERCISE: '12' }), /CELLBLOCK_EXERCISE=12: not a chapter with an exercise \(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\)/);
});
