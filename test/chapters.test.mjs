// Chapters and code stay in step: every ```ts block under a "### `src/…`"
// heading must be a verbatim excerpt of that file (lines in order, no gaps;
// a line "// …" inside a quote marks a deliberate cut between excerpts), and
// every src/ or labs/ path a chapter names must exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT } from '../scripts/lib/as-user.mjs';

const CHAPTERS = join(PROJECT, 'chapters');
const EXERCISE_MARKER = /^\s*\/\/ #(region exercise:|endregion\b)/;
const chapters = readdirSync(CHAPTERS).filter((f) => /^\d\d-.*\.md$/.test(f)).sort();

/** [{ path, line, excerpt }] for each quoted block under a path heading. */
function quotes(markdown) {
  const found = [];
  const lines = markdown.split('\n');
  let path;
  for (let i = 0; i < lines.length; i++) {
    const heading = lines[i].match(/^#{2,4} `((?:src|labs|scripts)\/[^`]+)`/);
    if (heading) path = heading[1];
    else if (/^#{1,4} /.test(lines[i])) path = undefined;
    if (lines[i] === '```ts' && path) {
      const end = lines.indexOf('```', i + 1);
      found.push({ path, line: i + 1, body: lines.slice(i + 1, end) });
      i = end;
    }
  }
  return found;
}

function containsInOrder(fileLines, excerpt) {
  const at = fileLines.findIndex((_, start) => excerpt.every((line, k) => fileLines[start + k]?.trimEnd() === line.trimEnd()));
  return at !== -1;
}

for (const chapter of chapters) {
  test(`chapters/${chapter} quotes its code verbatim and names paths that exist`, () => {
    const markdown = readFileSync(join(CHAPTERS, chapter), 'utf8');
    const blocks = quotes(markdown);
    assert.ok(blocks.length > 0, 'the chapter quotes the module that does its step');
    for (const { path, line, body } of blocks) {
      assert.ok(existsSync(join(PROJECT, path)), `${chapter}:${line} quotes ${path}, which does not exist`);
      // Exercise mode's markers (src/learn/exercise-text.ts) are not part of what a chapter shows.
      const fileLines = readFileSync(join(PROJECT, path), 'utf8').split('\n').filter((l) => !EXERCISE_MARKER.test(l));
      const excerpts = [];
      for (const text of body) {
        if (/^\s*\/\/ …$/.test(text) || excerpts.length === 0) excerpts.push([]);
        if (!/^\s*\/\/ …$/.test(text)) excerpts.at(-1).push(text);
      }
      for (const excerpt of excerpts.filter((e) => e.length)) {
        assert.ok(containsInOrder(fileLines, excerpt), `${chapter}:${line}: this quote is not (any longer) in ${path}:\n${excerpt.join('\n')}`);
      }
    }
    for (const [, path] of markdown.matchAll(/`((?:src|labs)\/[\w./-]+\.(?:ts|mjs))`/g)) {
      assert.ok(existsSync(join(PROJECT, path)), `${chapter} names ${path}, which does not exist`);
    }
  });
}
