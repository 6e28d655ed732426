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

// ─── The course as a whole: every chapter of the table of contents, how each
// ends, its pictures and their text versions, the glossary and the index. ───

const course = await import('../dist/learn/chapters.js').catch((error) => {
  throw new Error(`dist/learn/chapters.js cannot be loaded (run npx tsc -p . first; npm test builds): ${error.message}`);
});
const read = (file) => readFileSync(join(CHAPTERS, file), 'utf8');
const fileOf = (chapter) => course.chapterFile(chapter).slice(CHAPTERS.length + 1);
/** A man7.org link: man SECTION / NAME . SECTION .html (a section letter may follow, as 3p). */
const MAN_LINK = /https:\/\/man7\.org\/linux\/man-pages\/man([1-8])\/[\w.@:+-]+\.\1[a-z]*\.html/;
const IMAGE = /!\[([^\]]*)\]\(([^)\s]+)\)/g;

/** The markdown's lines outside fenced code blocks (a transcript may hold lines that look like headings). */
function prose(markdown) {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** { title: text } for each "## title" section, in order. */
function sections(markdown) {
  const found = [];
  for (const line of prose(markdown)) {
    const heading = line.match(/^## (.+)$/);
    if (heading) found.push({ title: heading[1], body: [] });
    else found.at(-1)?.body.push(line);
  }
  return found.map(({ title, body }) => ({ title, text: body.join('\n') }));
}

test('every chapter of src/learn/chapters.ts has its file, and a lab exactly when it says so', () => {
  assert.deepEqual(course.CHAPTERS.map((c) => c.number), [...Array(13).keys()], 'chapters 0 to 12, in order');
  for (const chapter of course.CHAPTERS) {
    assert.ok(existsSync(course.chapterFile(chapter)), `chapter ${chapter.number}: ${course.chapterFile(chapter)} is missing`);
    assert.equal(existsSync(course.labFile(chapter)), chapter.lab, `chapter ${chapter.number}: lab ${chapter.lab ? 'missing' : 'not expected'}: ${course.labFile(chapter)}`);
  }
  const files = course.CHAPTERS.map(fileOf);
  assert.deepEqual(chapters, files, 'chapters/ holds exactly the chapters of the table of contents');
});

for (const chapter of course.CHAPTERS) {
  const file = fileOf(chapter);
  test(`chapters/${file} ends with "Check your work", then "Man pages" with man7.org links`, () => {
    const markdown = read(file);
    const all = sections(markdown);
    assert.deepEqual(all.slice(-2).map((s) => s.title), ['Check your work', 'Man pages'], `the last two sections of ${file}`);
    const [check, man] = all.slice(-2);
    assert.match(check.text, /\S/, 'Check your work says what to run');
    assert.match(man.text, MAN_LINK, 'Man pages links at least one page on man7.org');
    for (const [link] of markdown.matchAll(/https?:\/\/(?:www\.)?man7\.org[^)\s]*/g)) {
      assert.match(link, new RegExp(`^${MAN_LINK.source}$`), `${file}: a man7.org link of the form https://man7.org/linux/man-pages/manN/NAME.N.html`);
    }
  });
}

test('every project path the chapters name exists, and so does every chapter they link', () => {
  for (const file of [...chapters, 'README.md', 'glossary.md']) {
    const markdown = read(file);
    for (const [, path] of markdown.matchAll(/`((?:src|labs|scripts|test|chapters)\/[^`\s]*|Vagrantfile|\.ci\/run)`/g)) {
      if (/\b[A-Z]{2,}\b/.test(path)) continue; // a pattern (labs/NN-topic/lab.mjs), not a path
      assert.ok(existsSync(join(PROJECT, path)), `${file} names ${path}, which does not exist`);
    }
    for (const [, target] of markdown.matchAll(/\]\(((?:\d\d-[\w-]+|glossary|README)\.md)(?:#[\w-]*)?\)/g)) {
      assert.ok(existsSync(join(CHAPTERS, target)), `${file} links ${target}, which does not exist`);
    }
  }
});

test('every picture a chapter shows exists, with alt text and a text version at most 80 columns wide', () => {
  let pictures = 0;
  for (const file of readdirSync(CHAPTERS).filter((f) => f.endsWith('.md'))) {
    for (const [, alt, target] of read(file).matchAll(IMAGE)) {
      pictures++;
      assert.ok(alt.trim(), `${file}: ${target} has no alt text`);
      assert.ok(existsSync(join(CHAPTERS, target)), `${file} shows ${target}, which does not exist`);
      const textVersion = target.replace(/\.[a-z]+$/i, '.txt');
      assert.ok(existsSync(join(CHAPTERS, textVersion)), `${file} shows ${target} without its text version ${textVersion} (cellblock learn shows that instead)`);
      read(textVersion).split('\n').forEach((line, i) => {
        assert.ok([...line].length <= 80, `${textVersion}:${i + 1} is ${[...line].length} columns wide (at most 80)`);
        assert.ok(!line.includes('\t'), `${textVersion}:${i + 1} has a tab (its width depends on the terminal)`);
      });
    }
  }
  assert.ok(pictures > 0, 'the chapters show their diagrams');
});

test('the diagrams are what scripts/diagrams.mjs draws, each has a text version, and a chapter shows each', async () => {
  const { compare } = await import('../scripts/diagrams.mjs');
  const drawn = compare();
  for (const { name, drawn: svg, current } of drawn) {
    assert.ok(current === svg, `chapters/diagrams/${name}.svg is not what scripts/diagrams.mjs draws: run node scripts/diagrams.mjs`);
  }
  const files = readdirSync(join(CHAPTERS, 'diagrams'));
  const names = drawn.map((d) => d.name).sort();
  assert.deepEqual(files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4)).sort(), names, 'every SVG is drawn by the script');
  assert.deepEqual(files.filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4)).sort(), names, 'every diagram has a text version');
  const shown = chapters.map(read).join('\n');
  for (const name of names) assert.ok(shown.includes(`](diagrams/${name}.svg)`), `no chapter shows diagrams/${name}.svg`);
});

test('the glossary defines the seed documents\' terms, each with the chapter that explains it', () => {
  const entries = sections(read('glossary.md'));
  const titles = entries.map((e) => e.title);
  for (const term of ['image', 'layer', 'container', 'registry', 'Dockerfile', 'volume', 'daemon']) {
    assert.ok(titles.includes(term), `the glossary has no entry "${term}"`);
  }
  for (const { title, text } of entries) {
    assert.match(text, /\]\(\d\d-[\w-]+\.md\)/, `glossary: "${title}" links no chapter`);
    assert.match(text, /docker|podman/, `glossary: "${title}" gives no docker or podman equivalent`);
  }
});

test('chapters/README.md links every chapter, the glossary and every diagram', () => {
  const index = read('README.md');
  for (const chapter of course.CHAPTERS) assert.ok(index.includes(`](${fileOf(chapter)})`), `chapters/README.md does not link ${fileOf(chapter)}`);
  assert.ok(index.includes('](glossary.md)'), 'chapters/README.md does not link the glossary');
  for (const svg of readdirSync(join(CHAPTERS, 'diagrams')).filter((f) => f.endsWith('.svg'))) {
    assert.ok(index.includes(`](diagrams/${svg})`), `chapters/README.md does not link diagrams/${svg}`);
  }
});
