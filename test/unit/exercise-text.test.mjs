// Exercise mode's text work (src/learn/exercise-text.ts): regions, the
// learner's starting file, the solution, the hint. No root, no containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT } from '../../scripts/lib/as-user.mjs';

const load = (module) => import(pathToFileURL(join(PROJECT, 'dist', module)).href);
const { findRegions, startingText, solutionText, hintOf } = await load('learn/exercise-text.js');
const { EXERCISE_STEPS } = await load('learn/exercise-steps.js');

const MODULE = [
  'export function options(spec: Spec): string {',
  '  // #region exercise: the options',
  "  return `lower=${spec.lower}`;",
  "  // #endregion (stand-in: return '';)",
  '}',
  'export const step = {',
  '  run() {',
  '    // why: a comment that stays',
  '    // #region exercise: mount it',
  "    mount('proc');",
  "    chdir('/');",
  '    // #endregion',
  '  },',
  '};',
].join('\n');

test('findRegions: what to write, the real lines, where they are, the stand-in', () => {
  assert.deepEqual(findRegions(MODULE, 'm.ts'), [
    { what: 'the options', indent: '  ', lines: ['  return `lower=${spec.lower}`;'], first: 3, last: 3, standIn: "return '';" },
    { what: 'mount it', indent: '    ', lines: ["    mount('proc');", "    chdir('/');"], first: 10, last: 11, standIn: undefined },
  ]);
});

test('findRegions: a marker without its pair is an error naming the file and line', () => {
  assert.throws(() => findRegions('a\n// #region exercise: x\nb', 'm.ts'), /^Error: m\.ts:2: "\/\/ #region exercise" without its "\/\/ #endregion"$/);
  assert.throws(() => findRegions('a\n  // #endregion', 'm.ts'), /^Error: m\.ts:2: "\/\/ #endregion" without a "\/\/ #region exercise" before it$/);
  assert.throws(() => findRegions('// #region exercise: x\n// #region exercise: y\n// #endregion', 'm.ts'), /m\.ts:2: a "\/\/ #region exercise" inside the one opened on line 1/);
});

test('startingText: each region becomes a TODO at its indentation, with its stand-in; everything else stays', () => {
  const text = startingText(MODULE, { chapter: 4, module: 'src/init/proc.ts', chapterFile: 'chapters/04-pid-namespace.md' });
  const lines = text.split('\n');
  assert.match(lines[0], /^\/\/ Exercise 4: src\/init\/proc\.ts, with its teaching lines left for you to write/);
  assert.ok(lines.includes('  // TODO(exercise 4): the options'));
  assert.ok(lines.includes("  return ''; // a stand-in, so that the file compiles: replace it"));
  assert.ok(lines.includes('    // why: a comment that stays'));
  assert.ok(lines.includes('    // TODO(exercise 4): mount it'));
  assert.doesNotMatch(text, /#region|#endregion|mount\('proc'\)|lower=/);
  assert.ok(text.endsWith('  },\n};'));
});

test('solutionText: each region\'s real lines under a comment naming the file, its lines and what they do', () => {
  assert.equal(solutionText(findRegions(MODULE, 'm.ts'), 'src/m.ts'), [
    '// src/m.ts:3-3: the options', '  return `lower=${spec.lower}`;', '',
    '// src/m.ts:10-11: mount it', "    mount('proc');", "    chdir('/');", '',
  ].join('\n'));
});

test('hintOf: the **Hint:** paragraph of the "## Exercise" section, as one line', () => {
  const chapter = '# 4\n\n**Hint:** not this one\n\n## Exercise\n\nWrite it.\n\n**Hint:** a proc mount shows\nthe namespace of its mounter.\n\nMore.\n\n## Read more\n';
  assert.equal(hintOf(chapter), 'a proc mount shows the namespace of its mounter.');
  assert.equal(hintOf('# 6\n\n## Read more\n'), undefined);
});

test('every step module named in exercise-steps.ts has its marked regions', () => {
  for (const { chapter, module } of EXERCISE_STEPS) {
    const regions = findRegions(readFileSync(join(PROJECT, 'src', module), 'utf8'), module);
    assert.ok(regions.length > 0 && regions.every((r) => r.what && r.lines.some((l) => l.trim() && !l.trim().startsWith('//'))),
      `chapter ${chapter}: src/${module} has a region with code in it`);
  }
});
