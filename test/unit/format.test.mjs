// Unit tests of docker's list formats, the table layout, sizes, and the mounts inspect shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalSize, formatList, formatTable, parseListFormat } from '../../dist/cli/format.js';
import { mountsOf } from '../../dist/cli/container-view.js';

const header = { ID: 'CONTAINER ID', Names: 'NAMES', Label: (name) => name.split('.').at(-1) };
const labels = { 'com.example.tier': 'front' };
const rows = [
  { ID: () => 'abc', Names: () => 'web', Label: (name) => labels[name] ?? '' },
  { ID: () => 'defdef', Names: () => 'db', Label: (_name) => '' },
];

test('table: a header row from the same template; a backslash-t typed in the format separates columns', () => {
  const format = parseListFormat('table {{.ID}}\\t{{.Names}}\\t{{.Label "com.example.tier"}}', 'table {{.ID}}');
  assert.equal(formatList(format, rows, header), 'CONTAINER ID   NAMES   tier\nabc            web     front\ndefdef         db\n');
  // "table" alone, or no --format, is the verb's default table.
  assert.equal(formatList(parseListFormat('table', 'table {{.Names}}'), rows, header), 'NAMES\nweb\ndb\n');
  assert.equal(formatList(parseListFormat(undefined, 'table {{.Names}}'), [], header), 'NAMES\n');
});

test('a bare template: one line per row, no header; json: one object per row', () => {
  assert.equal(formatList(parseListFormat(' {{.Names}}={{.ID}} ', ''), rows, header), 'web=abc\ndb=defdef\n');
  assert.equal(formatList(parseListFormat('json', ''), rows.slice(0, 1), header), '{"ID":"abc","Names":"web"}\n');
});

test('a field that does not exist is an error even with no row to show', () => {
  assert.throws(() => formatList(parseListFormat('{{.Nope}}', ''), [], header), /^Error: invalid --format "\{\{\.Nope\}\}": at \{\{\.Nope\}\}: no field "Nope"/);
  assert.throws(() => parseListFormat('{{.ID', ''), /^Error: invalid --format "\{\{\.ID": unclosed action/);
});

test('formatTable: three spaces between columns, an optional minimum width, no trailing spaces', () => {
  assert.equal(formatTable([['A', 'BB', ''], ['CCC', 'D', '']]), 'A     BB\nCCC   D\n');
  assert.equal(formatTable([['PID', 'CMD'], ['1', 'sh -c x']], 10), 'PID       CMD\n1         sh -c x\n');
});

test("decimalSize is docker's HumanSize: decimal units, four significant digits", () => {
  assert.deepEqual([0, 3, 999, 1000, 1234, 12_345_678, 5e9].map((n) => decimalSize(n)), ['0B', '3B', '999B', '1kB', '1.234kB', '12.35MB', '5GB']);
});

test('mountsOf: spec.mounts in docker inspect shape; none on records that have no mounts', () => {
  const record = (mounts) => ({ spec: { mounts } });
  assert.deepEqual(mountsOf(record(undefined)), []);
  assert.deepEqual(mountsOf(record([
    { type: 'bind', source: '/srv/data', target: '/data', readOnly: true, file: false },
    { type: 'volume', name: 'cache', source: '/home/u/.local/share/cellblock/volumes/cache', target: '/cache', readOnly: false, anonymous: false, copyUp: true },
    { type: 'tmpfs', target: '/run', readOnly: false, options: [], data: '' },
  ])), [
    { Type: 'bind', Source: '/srv/data', Destination: '/data', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    { Type: 'volume', Name: 'cache', Source: '/home/u/.local/share/cellblock/volumes/cache', Destination: '/cache', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    { Type: 'tmpfs', Source: '', Destination: '/run', Mode: '', RW: true, Propagation: '' },
  ]);
});
