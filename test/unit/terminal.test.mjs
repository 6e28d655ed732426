// The client side of an interactive terminal (src/cli/terminal.ts): detach
// keys, and a real pty whose modes must come back however the program ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT, waitForLine } from '../../scripts/lib/as-user.mjs';
import { DetachFilter, parseDetachKeys } from '../../dist/cli/terminal.js';
import { openPty, setWindowSize } from '../../dist/syscalls/index.js';

test('parseDetachKeys reads docker\'s format', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 1, 26, 27, 28, 29, 30, 31]);
  assert.deepEqual([...parseDetachKeys('a,Z,ctrl-x')], [97, 90, 24]);
  assert.deepEqual([...parseDetachKeys('')], [], 'empty: no detaching');
  for (const bad of ['ctrl-1', 'ctrl-P', 'ab', 'é', 'ctrl-p,', 'ctrl-']) {
    assert.throws(() => parseDetachKeys(bad), (e) => e.message.startsWith(`invalid --detach-keys "${bad}": unknown key`) && !e.message.includes('\n'), bad);
  }
});

test('DetachFilter removes the sequence, across reads, and passes on a prefix that turns out not to be one', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');
  const run = (...chunks) => {
    const filter = new DetachFilter(keys);
    return chunks.map((chunk) => {
      const { data, detach } = filter.push(Buffer.from(chunk, 'latin1'));
      return detach ? `${data.toString('latin1')}|DETACH` : data.toString('latin1');
    });
  };
  assert.deepEqual(run('ls\r'), ['ls\r']);
  assert.deepEqual(run('ab\x10\x11cd'), ['ab|DETACH'], 'what follows the sequence is dropped');
  assert.deepEqual(run('ab\x10', '\x11'), ['ab', '|DETACH'], 'split across reads');
  assert.deepEqual(run('\x10', 'x'), ['', '\x10x'], 'a held prefix comes out when the next byte does not match');
  assert.deepEqual(run('\x10', '\x10', '\x11'), ['', '\x10', '|DETACH'], 'ctrl-p ctrl-p ctrl-q: the first ctrl-p is typed, the rest detaches');
  assert.deepEqual(new DetachFilter(Buffer.alloc(0)).push(Buffer.from('\x10\x11')).data, Buffer.from('\x10\x11'), 'no keys: nothing is filtered');
});

/**
 * Run test/helpers/terminal-child.mjs on a new pty as its controlling
 * terminal (so SIGWINCH reaches it), and give back what a test needs.
 */
async function onPty(mode) {
  const { master, slave } = openPty('/dev/ptmx');
  const path = readlinkSync(`/proc/self/fd/${slave}`);
  const modes = () => execFileSync('stty', ['-F', path, '-g'], { encoding: 'utf8' }).trim();
  const before = modes();
  const child = spawn('setsid', ['--ctty', process.execPath, join(PROJECT, 'test/helpers/terminal-child.mjs'), join(PROJECT, 'dist'), mode], {
    stdio: [slave, slave, 'pipe'],
  });
  closeSync(slave);
  child.stderr.setEncoding('utf8');
  let said = '';
  child.stderr.on('data', (chunk) => { said += chunk; });
  const ended = once(child, 'exit');
  await waitForLine(child.stderr, /^ready$/);
  return { master, child, modes, before, ended, said: () => said, close: () => closeSync(master) };
}

test('raw while it runs; typed bytes reach input, a resize reaches onResize, the detach keys restore it', async () => {
  const t = await onPty('quiet');
  try {
    assert.notEqual(t.modes(), t.before, 'the terminal is raw');
    writeSync(t.master, 'ab\x03');
    await waitForLine(t.child.stderr, /^input "ab\\u0003"$/);
    setWindowSize(t.master, { rows: 41, cols: 121 });
    await waitForLine(t.child.stderr, /^resize 41 121$/);
    writeSync(t.master, '\x10\x11');
    await waitForLine(t.child.stderr, /^detached$/);
    assert.equal(t.modes(), t.before, 'the terminal modes are back, before the program even exits');
    t.child.kill('SIGKILL');
    await t.ended;
  } finally {
    t.close();
  }
});

const endings = [
  { mode: 'quiet', how: 'a SIGTERM nobody handles', act: (t) => t.child.kill('SIGTERM'), end: ([, signal]) => assert.equal(signal, 'SIGTERM') },
  { mode: 'quiet', how: 'a SIGHUP', act: (t) => t.child.kill('SIGHUP'), end: ([, signal]) => assert.equal(signal, 'SIGHUP') },
  { mode: 'handled', how: 'a SIGTERM the program handles, then exit', act: (t) => t.child.kill('SIGTERM'), end: ([code]) => assert.equal(code, 7) },
  { mode: 'throw', how: 'an uncaught exception', act: () => {}, end: ([code]) => assert.equal(code, 1) },
];
for (const { mode, how, act, end } of endings) {
  test(`the terminal modes come back after ${how}`, async () => {
    const t = await onPty(mode);
    try {
      assert.notEqual(t.modes(), t.before, 'the terminal is raw');
      act(t);
      end(await t.ended);
      assert.equal(t.modes(), t.before, `the terminal modes are back (child said: ${t.said()})`);
    } finally {
      t.close();
    }
  });
}
