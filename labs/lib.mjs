// What every lab shares: a user to run cellblock as, a busybox root filesystem,
// a way to run and watch containers with a deadline, a "host | container"
// table, and checks that make the lab exit non-zero when a feature did not do
// what its chapter says.
//
// A lab reads like this:
//
//   await lab('01 · a container is a process', async ({ sh }) => {
//     const r = await sh('echo $$');
//     show([['pid of the shell', process.pid, r.stdout]]);
//     check(r.stdout.trim() === '1', 'the payload is pid 1', 'see chapters/01-process.md');
//   });
//
// When you run a lab as root it runs cellblock as the unprivileged user
// `cbtest` (scripts/lib/as-user.mjs explains why): rootless is the point.
import { chalk } from 'zx';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Runner, containerPid } from '../scripts/lib/as-user.mjs';
import { buildBusyboxRootfs } from '../scripts/lib/rootfs.mjs';

/** How long one container may take before the lab gives up on it. */
export const DEFAULT_TIMEOUT_MS = 20_000;

const tally = { passed: 0, failed: 0, skipped: 0 };
const running = new Set(); // processes this lab started (cellblock, startAsUser) and has not seen exit
const cleanups = []; // what a lab started besides containers (a registry…), undone by finish()
let runner;
let finishing = false;

// ───────────────────────────── checks and output ─────────────────────────────

/** Record one expectation: ✔ when CONDITION holds, ✘ with HINT when it does not. */
export function check(condition, what, hint = '') {
  if (condition) {
    tally.passed++;
    console.log(`  ${chalk.green('✔')} ${what}`);
  } else {
    tally.failed++;
    const firstLine = String(hint).trim().split('\n')[0];
    console.log(`  ${chalk.red('✘')} ${what}${firstLine ? chalk.dim(`\n      → ${firstLine}`) : ''}`);
  }
  return Boolean(condition);
}

/** Something this machine cannot show: say why. A skip is not a pass. */
export function skip(what, reason) {
  tally.skipped++;
  console.log(`  ${chalk.yellow('SKIP')} ${what}: ${reason}`);
}

export function note(text) {
  console.log(chalk.dim(`  ${text}`));
}

/** One line per cell: multi-line values are folded, long ones cut, so the table stays a table. */
const fold = (value) => String(value ?? '').trim().replace(/\s*\n\s*/g, ' ⏎ ');
function cell(value, width) {
  const text = fold(value);
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** Print observations side by side: ROWS are [what, on the host, in the container]. */
export function show(rows, heading = ['', 'host', 'container']) {
  // Each column as wide as its widest value, within limits that keep a line under ~130 characters.
  const widths = [32, 40, 56].map((limit, i) => Math.min(limit, Math.max(...[heading, ...rows].map((row) => fold(row[i]).length))));
  const line = (row) => `  ${cell(row[0], widths[0])} │ ${cell(row[1], widths[1])} │ ${cell(row[2], widths[2])}`;
  console.log(chalk.bold(line(heading)));
  console.log(`  ${'─'.repeat(widths[0])}─┼─${'─'.repeat(widths[1])}─┼─${'─'.repeat(widths[2])}`);
  for (const row of rows) console.log(line(row));
  console.log();
}

/**
 * Commands this lab needs that are not on the PATH (['umoci', …] → ['umoci']).
 * A lab says SKIP for what it cannot show without them.
 */
export function missingCommands(commands) {
  const path = (process.env.PATH || '/usr/bin:/bin').split(':');
  return commands.filter((command) => !path.some((dir) => existsSync(join(dir, command))));
}

/** Run FN when the lab finishes, however it ends (before the temporary directories go). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export function section(title) {
  console.log(`\n${chalk.cyan.bold(`▸ ${title}`)}`);
}

// ────────────────────────────── running containers ───────────────────────────

/** Resolve with PROMISE's value, or with ON_TIMEOUT after MS milliseconds. */
export function within(promise, ms, onTimeout = undefined) {
  let timer;
  const deadline = new Promise((resolve) => { timer = setTimeout(() => resolve(onTimeout), ms); });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A process the lab watches while it runs: cellblock, or a host command (startAsUser). */
class Container {
  constructor(child) {
    this.child = child;
    this.stdout = '';
    this.stderr = '';
    child.stdout.on('data', (chunk) => { this.stdout += chunk; child.emit('output'); });
    child.stderr.on('data', (chunk) => { this.stderr += chunk; });
    child.stdin.on('error', () => {});
    running.add(child);
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }));
  }

  /** Wait for a line on stdout matching PATTERN; throws on exit or timeout. */
  async line(pattern, ms = DEFAULT_TIMEOUT_MS) {
    const found = () => this.stdout.split('\n').find((l) => pattern.test(l));
    const seen = new Promise((resolve) => {
      const look = () => { if (found() !== undefined) { this.child.off('output', look); resolve(found()); } };
      this.child.on('output', look);
      look();
    });
    const result = await within(Promise.race([seen, this.exited.then(() => found())]), ms);
    if (result === undefined) {
      throw new Error(`no line matching ${pattern} within ${ms} ms (stdout: ${JSON.stringify(this.stdout)}, stderr: ${JSON.stringify(this.stderr)})`);
    }
    return result;
  }

  /** { code, signal } once cellblock exits, or null if it is still running after MS. */
  wait(ms = DEFAULT_TIMEOUT_MS) {
    return within(this.exited, ms, null);
  }

  /** Send SIGNAL to the cellblock process itself (it relays the usual ones to pid 1). */
  signal(name) {
    this.child.kill(name);
  }

  /** SIGKILL the process, by its pid; a cellblock takes its container with it (setpriv --pdeathsig, unshare --kill-child). */
  async stop() {
    this.child.kill('SIGKILL');
    return this.wait();
  }

  /** The host pid of the container's pid 1: cellblock → unshare → pid 1 (scripts/lib/as-user.mjs). */
  pid1() {
    return containerPid(this.child.pid);
  }
}

// ──────────────────────────── reading the host's /proc ───────────────────────

/** The fields of /proc/PID/status as strings ("NSpid" → "4242\t1"), or undefined if gone. */
export function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Object.fromEntries(text.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  } catch {
    return undefined;
  }
}

/** Every process below PID, found by walking PPid links in /proc. */
export function descendants(pid) {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = procStatus(entry);
    if (status) parentOf.set(Number(entry), Number(status.PPid));
  }
  const below = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const [child, ppid] of parentOf) if (ppid === parent) { below.push(child); queue.push(child); }
  }
  return below;
}

/**
 * The host pid of the process that is INSIDE_PID in the container started by
 * cellblock process CELLBLOCK_PID. The kernel lists a process's pid in each
 * pid namespace it belongs to on the NSpid line of /proc/PID/status, outermost
 * first: "NSpid: 48213 1" is host pid 48213, pid 1 inside.
 */
export function hostPidOf(cellblockPid, insidePid) {
  return descendants(cellblockPid).find((pid) => {
    const ids = procStatus(pid)?.NSpid?.split(/\s+/) ?? [];
    return ids.length > 1 && Number(ids.at(-1)) === insidePid;
  });
}

// ──────────────────────────────────── a lab ──────────────────────────────────

/**
 * Exercise mode (`cellblock learn check N`, src/learn/exercises.ts) runs the
 * lab with CELLBLOCK_EXERCISE=N (and maybe CELLBLOCK_EXERCISES_DIR). The
 * runner gives cellblock a clean environment: pass those on, so that every
 * cellblock this lab starts loads the learner's step (src/learn/step-loader.ts).
 */
function passExerciseMode(runner) {
  const env = Object.fromEntries(['CELLBLOCK_EXERCISE', 'CELLBLOCK_EXERCISES_DIR'].filter((key) => process.env[key]).map((key) => [key, process.env[key]]));
  if (Object.keys(env).length === 0) return;
  const spawnCellblock = runner.spawnCellblock.bind(runner);
  runner.spawnCellblock = (args, options = {}) => spawnCellblock(args, { ...options, env: { ...env, ...options.env } });
}

async function setup(title) {
  console.log(chalk.bold.underline(title));
  runner = new Runner();
  passExerciseMode(runner);
  const dir = runner.tempDir('cellblock-lab-');
  const rootfs = buildBusyboxRootfs(join(dir, 'rootfs'));
  runner.chownTree(dir);
  note(`cellblock runs as ${runner.user.name} (uid ${runner.user.uid}); root filesystem: ${rootfs}`);

  const runArgs = (args, flags = []) => ['run', '--rm', '--rootfs', rootfs, ...flags, ...args];
  const start = (args, { flags = [] } = {}) => new Container(runner.spawnCellblock(runArgs(args, flags)));

  /** `cellblock run --rm --rootfs ROOTFS FLAGS… ARGS…` to the end: { code, signal, stdout, stderr }. */
  async function run(args, { flags = [], input = '', timeout = DEFAULT_TIMEOUT_MS } = {}) {
    const container = start(args, { flags });
    container.child.stdin.end(input);
    const result = await container.wait(timeout);
    if (result === null) {
      container.child.kill('SIGKILL');
      throw new Error(`cellblock ${runArgs(args, flags).join(' ')} did not finish within ${timeout} ms`);
    }
    return { ...result, stdout: container.stdout, stderr: container.stderr };
  }

  /** Run a shell script in a new container. */
  const sh = (script, options) => run(['sh', '-c', script], options);

  /**
   * Any verb, `cellblock ARGS…` (pull, images, run IMAGE…), to the end:
   * { code, signal, stdout, stderr }. ENV adds to cellblock's environment.
   */
  async function cellblock(args, { input = '', timeout = DEFAULT_TIMEOUT_MS, env } = {}) {
    const container = new Container(runner.spawnCellblock(args, env ? { env } : {}));
    container.child.stdin.end(input);
    const result = await container.wait(timeout);
    if (result === null) {
      container.child.kill('SIGKILL');
      throw new Error(`cellblock ${args.join(' ')} did not finish within ${timeout} ms`);
    }
    return { ...result, stdout: container.stdout, stderr: container.stderr };
  }

  /** Run a command on the host as the same user cellblock runs as. */
  const asUser = (file, args, options = {}) =>
    within(runner.exec(file, args, options), options.timeout ?? DEFAULT_TIMEOUT_MS, { code: null, signal: 'timeout', stdout: '', stderr: 'timed out' });

  /**
   * Start a long-running command on the host as that same user (something
   * that holds a namespace, say): watch it with line(), end it with stop(),
   * which kills it by its pid. finish() kills what is left.
   */
  const startAsUser = (file, args) => new Container(spawn(file, args, runner.spawnOptions({ stdio: ['pipe', 'pipe', 'pipe'] })));

  return { runner, user: runner.user, rootfs, run, sh, start, asUser, startAsUser, cellblock };
}

/**
 * Clean up — always, also after a failure — and exit: 0 when every check
 * passed, 1 otherwise. ERROR is an exception that ended the lab early.
 */
export async function finish(error) {
  if (finishing) return;
  finishing = true;
  if (error) {
    tally.failed++;
    console.log(`  ${chalk.red('✘')} the lab stopped early: ${error.message}`);
  }
  // Only what we started, by pid: each cellblock, whose death takes its
  // container with it (setpriv --pdeathsig, unshare --kill-child), and each
  // host command of startAsUser.
  for (const child of running) child.kill('SIGKILL');
  await within(Promise.all([...running].map((child) => new Promise((r) => child.once('close', r)))), 5_000);
  for (const cleanup of cleanups.splice(0).reverse()) {
    await within(Promise.resolve().then(cleanup), 10_000).catch((e) => console.log(`  cleanup failed: ${e.message}`));
  }
  runner?.cleanup();

  const summary = `${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`;
  console.log(`\n${tally.failed ? chalk.red.bold(`FAIL  ${summary}`) : chalk.green.bold(`PASS  ${summary}`)}`);
  process.exit(tally.failed ? 1 : 0);
}

/** Run BODY as the lab TITLE, then finish(). */
export async function lab(title, body) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => finish(new Error(`interrupted by ${signal}`)));
  // `node lab.mjs | head` closes our stdout early: keep going, so the cleanup still happens.
  process.stdout.on('error', () => {});
  let failure;
  try {
    await body(await setup(title));
  } catch (error) {
    failure = error;
  }
  await finish(failure);
}
