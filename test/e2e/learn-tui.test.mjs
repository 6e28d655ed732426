// `cellblock learn` as a learner meets it: in a terminal of 80×24 (tmux),
// run by the unprivileged user, with a real lab. The list renders, a chapter
// opens, its lab runs to a PASS, ctrl-c stops a lab and leaves no process,
// quitting gives the terminal back, and the progress is there after a restart.
// And `--no-tui` (or stdout a pipe) prints the course as plain text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { collect, PROJECT, Runner } from '../../scripts/lib/as-user.mjs';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * A Runner whose user can read the course: when we are root, the runner
 * stages dist/ and node_modules/ in a world-readable copy (hard links); the
 * course also needs chapters/, labs/ and the labs' helpers in scripts/.
 */
function courseRunner(t) {
  const runner = new Runner();
  t.after(() => runner.cleanup());
  if (runner.stage) {
    for (const part of ['chapters', 'labs', 'scripts']) execFileSync('cp', ['-al', join(PROJECT, part), runner.stage]);
  }
  return { runner, root: runner.stage ?? PROJECT };
}

/** tmux on its own socket in the runner's private directories, as the runner's user. */
function tmuxFor(runner) {
  const socket = `cellblock-learn-${process.pid}`;
  const options = runner.spawnOptions({ env: { TMUX_TMPDIR: runner.tmpDir, TERM: 'xterm-256color' } });
  const tmux = (...args) => {
    const result = spawnSync('tmux', ['-L', socket, ...args], { ...options, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  };
  const screen = () => tmux('capture-pane', '-p', '-t', 'learn');
  return {
    tmux,
    screen,
    socket,
    options,
    /** The pane's value of tmux FORMAT (#{alternate_on}, #{cursor_flag}, #{pane_pid}). */
    show: (format) => tmux('display-message', '-p', '-t', 'learn', format).trim(),
    keys: (...keys) => tmux('send-keys', '-t', 'learn', ...keys),
    /**
     * The screen once it matches PATTERN. tmux has no event for "the screen
     * now shows X", so the pane is read every 100 ms until it does, or until
     * the deadline, when the error shows what the screen had.
     */
    async until(pattern, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const now = screen();
        if (pattern.test(now)) return now;
        if (Date.now() > deadline) throw new Error(`the screen did not show ${pattern} within ${ms} ms; it shows:\n${now}`);
        await delay(100);
      }
    },
  };
}

/** Processes of this test's user that carry DIR in their command line or environment (cellblock, the lab, its containers' host side). */
function processesUsing(dir, except) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || except.includes(Number(entry))) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes(dir) || environ.includes(dir)) found.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

test('cellblock learn in an 80×24 tmux: the list, a chapter, its lab to PASS, ctrl-c, quit, progress after a restart', { timeout: 180_000 }, async (t) => {
  if (!hasTmux) return t.skip('SKIP: tmux is not installed (apt-get install tmux)');
  const { runner, root } = courseRunner(t);
  const term = tmuxFor(runner);
  // A shell in the pane, so that quitting shows what the learner gets back.
  term.tmux('-f', '/dev/null', 'new-session', '-d', '-x', '80', '-y', '24', '-s', 'learn', 'sh');
  const serverPid = Number(term.tmux('display-message', '-p', '#{pid}').trim());
  // By pid, not `tmux kill-server`: the runner's cleanup (an earlier after
  // hook, so it runs first) has removed the socket's directory by then, and a
  // server nobody can reach would live on.
  t.after(() => {
    try {
      process.kill(serverPid, 'SIGTERM');
    } catch {
      // ended with its last session already
    }
  });
  const shellPid = Number(term.show('#{pane_pid}'));
  const learn = `${process.execPath} ${join(root, 'dist/cli/main.js')} learn`;
  /** Start the app in the pane; resolves with the pane's screen when it has exited. */
  const startLearn = () => {
    // The shell signals a tmux channel when the app has exited: waiting on it needs no polling.
    term.keys('-l', `${learn}; echo "learn exited $?"; tmux wait-for -S learn-exited`);
    term.keys('Enter');
    return async () => {
      const waiter = spawn('tmux', ['-L', term.socket, 'wait-for', 'learn-exited'], { ...term.options, stdio: 'ignore' });
      const timer = setTimeout(() => waiter.kill(), 20_000);
      const { code } = await collect(waiter);
      clearTimeout(timer);
      assert.equal(code, 0, `the app did not exit within 20 s:\n${term.screen()}`);
      return term.screen();
    };
  };

  let exited = startLearn();
  let screen = await term.until(/12 {2}Putting it together/);
  const rows = screen.split('\n');
  assert.match(rows[0], /^ cellblock learn — the course +0 of 13 done$/, 'the title bar is the first line: nothing scrolled off');
  for (const n of Array.from({ length: 13 }, (_, i) => String(i).padStart(2, '0'))) assert.match(screen, new RegExp(`^[ ▸] ${n}  \\S`, 'm'));
  assert.match(rows[22], /↑↓ choose · enter read · r run lab/, 'the key line is the 23rd of 24');
  assert.equal(term.show('#{alternate_on}'), '1', 'the app draws on the alternate screen');

  term.keys('j', 'j', 'j', 'j', 'j');
  await term.until(/▸ 05 {2}UTS and IPC namespaces +not started/);
  term.keys('Enter');
  screen = await term.until(/05 — UTS and IPC namespaces/);
  assert.match(screen, /^ 05 · UTS and IPC namespaces +not started · top$/m);
  term.keys('Space', 'Space');
  await term.until(/── src\/\S+\.ts — \S+ ─+/);

  term.keys('r');
  await term.until(/Lab 05 · UTS and IPC namespaces/);
  screen = await term.until(/PASS — lab 05 exited 0; chapter 05 is done/, 90_000);
  assert.match(screen, /PASS {2}\d+ passed, 0 failed/, 'the lab\'s own last line, streamed into the pane');
  term.keys('q');
  await term.until(/05 · UTS and IPC namespaces +done · /);
  term.keys('q');
  await term.until(/▸ 05 {2}UTS and IPC namespaces +done/);
  term.keys('q');
  screen = await exited();
  assert.match(screen, /learn exited 0/);
  assert.equal(term.show('#{alternate_on}'), '0', 'the shell\'s screen is back');
  assert.equal(term.show('#{cursor_flag}'), '1', 'the cursor is visible again');

  const progressFile = join(runner.dataDir, 'cellblock', 'learn-progress.json');
  assert.ok(existsSync(progressFile), `${progressFile} was not written`);
  const progress = JSON.parse(readFileSync(progressFile, 'utf8'));
  assert.equal(progress.chapters[5].state, 'done');
  assert.equal(progress.last, 5);

  // A restart: the state is there, and the chapter last open is the one chosen.
  exited = startLearn();
  screen = await term.until(/▸ 05 {2}UTS and IPC namespaces +done/);
  assert.match(screen, /1 of 13 done/);

  // Ctrl-C while the lab runs stops the lab, not the app, and leaves nothing running.
  const appPid = Number(readFileSync(`/proc/${shellPid}/task/${shellPid}/children`, 'utf8').trim().split(/\s+/)[0]);
  const own = dirname(runner.runtimeDir); // the runner's private directory: every process of this test has it in its environment
  term.keys('r');
  await term.until(/▸ namespaces of its own/, 30_000);
  assert.notDeepEqual(processesUsing(own, [serverPid, shellPid, appPid]), [], 'the running lab\'s processes are seen (so the check below can fail)');
  term.keys('C-c');
  screen = await term.until(/STOPPED — lab 05/, 20_000);
  assert.match(screen, /interrupted by SIGTERM/, 'the lab\'s finish() ran: it cleans up what it started');
  const deadline = Date.now() + 5_000;
  let left = processesUsing(own, [serverPid, shellPid, appPid]);
  while (left.length && Date.now() < deadline) { // killed processes take a moment to be reaped
    await delay(100);
    left = processesUsing(own, [serverPid, shellPid, appPid]);
  }
  assert.deepEqual(left, [], 'processes left after ctrl-c stopped the lab');
  term.keys('q');
  await term.until(/▸ 05 {2}UTS and IPC namespaces +done/);
  term.keys('C-c'); // with no lab running, ctrl-c quits
  screen = await exited();
  assert.match(screen, /learn exited 0/);
  assert.equal(term.show('#{alternate_on}'), '0');
  assert.ok(existsSync(`/proc/${shellPid}`), 'the shell in the pane is still there');
});

test('cellblock learn --no-tui, or with stdout a pipe: the course as plain text, exit 0', async (t) => {
  const { runner, root } = courseRunner(t);
  const cli = join(root, 'dist/cli/main.js');
  const plain = await collect(spawn(process.execPath, [cli, 'learn', '--no-tui'], runner.spawnOptions({ stdio: ['pipe', 'pipe', 'pipe'] })));
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stderr, '');
  assert.doesNotMatch(plain.stdout, /\x1b/, 'no escape codes');
  assert.match(plain.stdout, /^The course: 13 chapters, 0 done\.$/m);
  const chapters = plain.stdout.split('\n').filter((line) => /^\d\d {2}/.test(line));
  assert.equal(chapters.length, 13);
  for (const [n, slug] of [['00', 'setup'], ['05', 'uts-ipc'], ['12', 'putting-it-together']]) {
    const written = existsSync(join(root, 'chapters', `${n}-${slug}.md`));
    assert.match(plain.stdout, new RegExp(`^${n} .* ${written ? 'not started' : 'not written'}$`, 'm'));
    assert.match(plain.stdout, new RegExp(`read: ${join(root, 'chapters', `${n}-${slug}.md`)}`));
  }
  assert.match(plain.stdout, new RegExp(`lab: {2}node ${join(root, 'labs/05-uts-ipc/lab.mjs')}`));
  assert.match(plain.stdout, new RegExp(`Progress: ${join(runner.dataDir, 'cellblock', 'learn-progress.json')}`));
  // Without --no-tui, stdout a pipe: the same text (an app cannot be drawn into a pipe).
  const piped = await collect(spawn(process.execPath, [cli, 'learn'], runner.spawnOptions({ stdio: ['pipe', 'pipe', 'pipe'] })));
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, plain.stdout);
});
