// Unit tests of the chapter reader's markdown: what a chapter looks like at
// 80 columns (prose wrapped, code kept whole and clipped when drawn, the
// quoted file's path as a bar, tables fitted, diagrams as their text), and
// that every real chapter renders with no line wider than the terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderMarkdown } from '../../dist/learn/markdown.js';
import { columnWidths, renderTable } from '../../dist/learn/markdown-table.js';
import { expandTabs, preLines, printable, span, textWidth, wrapSpans } from '../../dist/learn/markdown-wrap.js';
import { PROJECT } from '../../scripts/lib/as-user.mjs';

const text = (line) => [...line.prefix, ...line.spans].map((s) => s.text).join('');
const screen = (lines) => lines.map(text);
/** The columns a wrapped (not preformatted) line takes. */
const wrappedWidths = (lines) => lines.filter((l) => !l.pre).map((l) => textWidth(text(l)));

test('wrapSpans fills lines up to the width, keeps styles, and cuts a word longer than a line', () => {
  const lines = wrapSpans([span('one two '), span('three', 'code'), span(', four five six')], 13);
  assert.deepEqual(lines.map((l) => l.map((s) => s.text).join('')), ['one two', 'three, four', 'five six'], '"three," is one word in two styles: it moves whole');
  assert.deepEqual(lines[1].slice(0, 2), [span('three', 'code'), span(',')]);
  const long = wrapSpans([span('see /proc/self/mountinfo/and/a/very/long/path here')], 10);
  assert.ok(long.every((l) => textWidth(l.map((s) => s.text).join('')) <= 10), JSON.stringify(long));
  assert.deepEqual(wrapSpans([span('a'), span('\n'), span('b')], 10).map((l) => l.map((s) => s.text).join('')), ['a', 'b'], 'a <br> breaks the line');
});

test('preformatted text: tabs at 8-column stops, escape codes and a progress line\'s \\r removed', () => {
  assert.equal(expandTabs('Uid:\t1001\t1001'), 'Uid:    1001    1001');
  assert.equal(printable('\x1b[32m✔\x1b[39m ok\x07'), '✔ ok');
  assert.deepEqual(preLines('10%\r50%\r100%\r\ndone\n', 'pre').map(text), ['100%', 'done']);
});

test('a chapter at 80 columns: headings, wrapped prose, lists, code kept as written under its path bar', () => {
  const source = [
    '# 05 — UTS and IPC namespaces',
    '',
    `${'The hostname is one of two strings the uts namespace holds; '.repeat(4)}**bold** and \`code\` and [a link](https://man7.org/x).`,
    '',
    '### `src/init/uts-ipc.ts` — `setHostname`',
    '',
    '```ts',
    `    sethostname(spec.hostname); // ${'a long comment '.repeat(8)}`,
    '```',
    '',
    '- first item, long enough to wrap onto a second line when the list is drawn at eighty columns wide',
    '- second',
    '',
    '1. one',
    '2. two',
  ].join('\n');
  const lines = renderMarkdown(source, { width: 80 });
  const shown = screen(lines);
  assert.equal(shown[0], '05 — UTS and IPC namespaces');
  assert.match(shown[1], /^═+$/);
  assert.ok(wrappedWidths(lines).every((w) => w <= 80), `a wrapped line is wider than 80:\n${shown.join('\n')}`);
  const bar = shown.find((l) => l.includes('src/init/uts-ipc.ts'));
  assert.equal(bar, '── src/init/uts-ipc.ts — setHostname '.padEnd(80, '─'), 'the quoted file is a bar across the page');
  assert.equal(lines.find((l) => text(l) === bar).spans[0].style, 'path');
  const code = lines.find((l) => l.pre);
  assert.equal(text(code), `│     sethostname(spec.hostname); // ${'a long comment '.repeat(8)}`, 'code is not wrapped: the reader clips it');
  assert.ok(shown.some((l) => l.startsWith('• first item')) && shown.some((l) => /^ {2}\S/.test(l)), 'a bullet, and the wrapped rest under its text');
  assert.ok(shown.includes('1. one') && shown.includes('2. two'));
  assert.ok(shown.join(' ').includes('a link <https://man7.org/x>'), 'a link shows where it goes');
});

test('a diagram shows its text version (diagrams/NAME.txt) in its place, or its alt text without one', () => {
  const source = 'Before.\n\n![The three steps: parent, id maps, init](diagrams/steps.svg)\n\n![A picture with no text version](diagrams/none.svg)\n\nAfter.';
  const asked = [];
  const imageText = (href) => {
    asked.push(href);
    return href === 'diagrams/steps.svg' ? 'parent ──▶ id maps ──▶ init\n   (step 1)   (step 2)\n' : undefined;
  };
  const shown = screen(renderMarkdown(source, { width: 80, imageText }));
  assert.deepEqual(asked, ['diagrams/steps.svg', 'diagrams/none.svg']);
  const at = shown.indexOf('▣ The three steps: parent, id maps, init');
  assert.ok(at > 0, shown.join('\n'));
  assert.deepEqual(shown.slice(at + 1, at + 3), ['┊ parent ──▶ id maps ──▶ init', '┊    (step 1)   (step 2)']);
  assert.ok(shown.includes('▣ A picture with no text version'));
  assert.ok(!shown.join('\n').includes('.svg'), 'no file name instead of a picture');
});

test('tables fit: natural widths when they fit, shared when not, stacked rows when even that cannot fit', () => {
  assert.deepEqual(columnWidths([5, 10, 20], 50), [5, 10, 20]);
  const shared = columnWidths([10, 40, 60], 74);
  assert.equal(shared.reduce((a, b) => a + b), 74);
  assert.equal(shared[0], 10, 'a short column keeps its width');
  const cell = (t) => [span(t)];
  const header = [cell('set'), cell('line'), cell('what it is')];
  const rows = [[cell('effective'), cell('CapEff'), cell('what the kernel checks right now, and a good deal more words so the column has to wrap')]];
  const fitted = renderTable(header, rows, 60).map(text);
  assert.ok(fitted.every((l) => textWidth(l) <= 60), fitted.join('\n'));
  assert.match(fitted[0], /^set +│ line +│ what it is$/);
  assert.match(fitted[1], /^─+┼─+┼─+$/);
  assert.ok(fitted.length > 3, 'the long cell wrapped inside its column');
  const stacked = renderTable(header, rows, 20).map(text);
  assert.ok(stacked.every((l) => textWidth(l) <= 20), stacked.join('\n'));
  assert.equal(stacked[0], 'set: effective');
});

test('every chapter renders at 80 columns with no wrapped line wider than 80', () => {
  const dir = join(PROJECT, 'chapters');
  const files = readdirSync(dir).filter((f) => /^\d\d-.*\.md$/.test(f));
  assert.ok(files.length >= 11);
  for (const file of files) {
    const lines = renderMarkdown(readFileSync(join(dir, file), 'utf8'), { width: 80 });
    const wide = lines.filter((l) => !l.pre && textWidth(text(l)) > 80).map(text);
    assert.deepEqual(wide, [], `${file}: lines wider than 80`);
    assert.ok(lines.some((l) => l.spans[0]?.style === 'path'), `${file}: quotes code under a "### \`src/…\`" bar`);
  }
});
