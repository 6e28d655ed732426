// Exercise 6 checked for real: its proof, the OOM kill under --memory 32m,
// needs a delegated cgroup v2 subtree, so it runs inside the VM (npm run
// test:vm). Untouched, the exercise fails lab 6 with the chapter's hint;
// with the real lines of src/cgroups/limits.ts back it passes. (On a host
// without the delegation, test/e2e/exercises.test.mjs checks that
// `learn check 6` says it cannot be checked there.)
//
// Two runs of lab 6 under emulation: about a minute each. The exercise file
// and the progress go to a temporary directory; the VM's dist/ is an overlay
// that vanishes with it, so the build needs no putting back.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collect, PROJECT } from '../../scripts/lib/as-user.mjs';

const inVm = process.env.CELLBLOCK_IN_VM === '1';
const skip = inVm ? false : 'SKIP: lab 6 checks this exercise only with delegated cgroup v2 — runs inside the VM: npm run test:vm';

const { exerciseStep } = await import(pathToFileURL(join(PROJECT, 'dist/learn/exercise-steps.js')).href);
const { proof, module } = exerciseStep(6);

const home = mkdtempSync(join(tmpdir(), 'cellblock-exercise-06-'));
const file = join(home, 'exercises', '06-cgroups.ts');
const env = { ...process.env, FORCE_COLOR: '0', CELLBLOCK_EXERCISES_DIR: join(home, 'exercises'), XDG_DATA_HOME: join(home, 'data') };
delete env.CELLBLOCK_EXERCISE;
after(() => rmSync(home, { recursive: true, force: true }));

const learn = (...args) => collect(spawn(process.execPath, [join(PROJECT, 'dist/cli/main.js'), 'learn', ...args], { env, cwd: home }));
const hint = () => /^\*\*Hint:\*\*([\s\S]*?)(?:\n\s*\n)/m.exec(readFileSync(join(PROJECT, 'chapters/06-cgroups.md'), 'utf8'))[1].replace(/\s+/g, ' ').trim();

test(`exercise 6 (src/${module}) in the VM: untouched it fails "${proof}" with the hint; the real lines pass`, { skip, timeout: 600_000 }, async () => {
  const started = await learn('start', '6');
  assert.equal(started.code, 0, started.stderr);
  assert.match(readFileSync(file, 'utf8'), /\/\/ TODO\(exercise 6\): memory\.max/);

  const untouched = await learn('check', '6');
  assert.equal(untouched.code, 1, `the untouched exercise fails lab 6:\n${untouched.stdout}${untouched.stderr}`);
  assert.ok(untouched.stdout.includes(`✘ ${proof}`), untouched.stdout);
  assert.ok(untouched.stdout.includes(`exercise: FAIL\nhint: ${hint()}`), untouched.stdout);

  // The real lines back: the module itself (its markers are comments).
  writeFileSync(file, readFileSync(join(PROJECT, 'src', module), 'utf8'));
  const solved = await learn('check', '6');
  assert.equal(solved.code, 0, `with the real lines lab 6 passes:\n${solved.stdout}${solved.stderr}`);
  assert.ok(solved.stdout.includes(`✔ ${proof}`) && solved.stdout.trimEnd().endsWith('exercise: PASS'), solved.stdout);
});
