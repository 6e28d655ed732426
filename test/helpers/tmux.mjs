// A real terminal for end-to-end tests: tmux (a Debian package) plays the
// user's terminal emulator — it draws what cellblock prints, and types keys —
// while cellblock runs in it as the fixture's unprivileged user.
import { execFileSync, spawnSync } from 'node:child_process';

/** Why a test that needs tmux cannot run here, or false when it can: a `skip` option for test(). */
export const withoutTmux = () => (spawnSync('tmux', ['-V']).status === 0 ? false : 'tmux is not installed (apt-get install tmux)');

/**
 * A private tmux server for FIXTURE (a containerFixture, whose runner exists
 * by the time these are called). close() ends the server, if it started.
 */
export function tmuxTerminal(fixture, name) {
  const socket = `cellblock-${name}-${process.pid}`;
  const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

  /** A shell command line that runs SCRIPT as our unprivileged user, with the runner's environment. */
  function asUser(script) {
    const { env, uid, gid } = fixture.runner.spawnOptions();
    const assignments = Object.entries(env).map(([key, value]) => `${key}='${value}'`).join(' ');
    const become = uid === undefined ? '' : `setpriv --reuid=${uid} --regid=${gid} --init-groups `;
    return `${become}env -i ${assignments} sh -c '${script.replaceAll("'", "'\\''")}'`;
  }

  const cellblockLine = (args) => `${process.execPath} -- ${fixture.runner.cli} ${args}`;

  /** What the pane shows now, trailing blank lines dropped. */
  const screen = (pane) => tmux('capture-pane', '-p', '-t', pane).replace(/\n+$/, '');

  /** Wait until the pane shows PATTERN. */
  async function until(pane, pattern, timeout = 15_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const shown = screen(pane);
      if (pattern.test(shown)) return shown;
      if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${shown}`);
      await new Promise((resolve) => setTimeout(resolve, 100)); // a screen has no "changed" event to wait on
    }
  }

  function close() {
    try {
      tmux('kill-server');
    } catch {
      // never started
    }
  }

  return { tmux, asUser, cellblockLine, screen, until, close };
}
