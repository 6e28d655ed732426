// Lab 12 — putting it together: one container's whole start, step by step,
// with the chapter that explains each step and the system calls it made.
// Chapter: chapters/12-putting-it-together.md
// Code:    src/syscalls/trace.ts (each call through src/syscalls/, told as strace tells it),
//          src/init/explain.ts and src/init/pipeline.ts (the init's steps, in order),
//          src/supervisor/explain.ts (the steps outside: spawn, id maps, cgroup, network)
//
// Run: node labs/12-putting-it-together/lab.mjs
//
// `cellblock run --explain` tells all of it on its stderr; the lab prints it,
// then checks that it is the whole story, in the order the code runs it.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, lab, note, section, show } from '../lib.mjs';
import { PROJECT } from '../../scripts/lib/as-user.mjs';
import { parseExplain } from '../../scripts/lib/explain.mjs';

const { pipeline } = await import(pathToFileURL(join(PROJECT, 'dist', 'init', 'pipeline.js')).href);

/** The lines told under step NAME, or '' when it is not there or was skipped. */
const callsOf = (steps, name) => steps.find((s) => s.name === name && !s.skipped)?.calls.join('\n') ?? '';

await lab('Lab 12 · putting it together', async ({ run }) => {
  section('cellblock run --rm --explain --rootfs ROOTFS true');
  const told = await run(['true'], { flags: ['--explain'] });
  console.log(told.stderr.replace(/^/gm, '    '));
  const steps = parseExplain(told.stderr);
  check(told.code === 0, 'the container ran, and said how on stderr', told.stderr.trim().split('\n').at(-1));

  section('what each step asked of the kernel');
  show(steps.map((s) => [s.name, `chapter ${s.chapter} (${s.slug})`, s.skipped ? 'skipped' : `${s.calls.length} line${s.calls.length === 1 ? '' : 's'}`]),
    ['step', 'explained in', 'told under it']);
  note('"lines" are system calls, or a command run or a /proc file read by the supervisor; runs of like calls are folded into one.');

  section('the whole story, in order');
  const outside = steps.filter((s) => s.part !== 3).map((s) => s.name);
  check(outside.join(' ') === 'spawn-init map-ids join-cgroup connect-network',
    'outside first: the supervisor spawns the init (setpriv → unshare), maps its ids, gives it a cgroup and a network', outside.join(' '));
  const inside = steps.filter((s) => s.part === 3);
  const expected = pipeline.map((s) => `${s.name}:${s.chapter}`).join(' ');
  check(inside.map((s) => `${s.name}:${s.chapter}`).join(' ') === expected,
    `then every step of src/init/pipeline.ts (${pipeline.length}), in order, each with its chapter — skipped ones too`,
    `told: ${inside.map((s) => s.name).join(' ')}`);

  section('the calls of the key steps');
  check(/^\$ setpriv .* unshare --user /m.test(callsOf(steps, 'spawn-init')), 'spawn-init: the command line that made the namespaces (chapter 2)');
  check(/^mount\("proc", "\S+\/proc", "proc", MS_NOSUID\|MS_NODEV\|MS_NOEXEC, NULL\) = 0$/m.test(callsOf(steps, 'mount-proc')),
    'mount-proc: mount("proc", …/proc, "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0 (chapter 4)', callsOf(steps, 'mount-proc'));
  check(/^pivot_root\("\.", "\."\) = 0$/m.test(callsOf(steps, 'pivot-root')), 'pivot-root: pivot_root(".", ".") = 0, then umount2 of the old root (chapter 3)', callsOf(steps, 'pivot-root'));
  const hostname = steps.find((s) => s.name === 'set-hostname');
  check(hostname?.skipped || /^sethostname\("[^"]+", \d+\) = 0$/m.test(hostname?.calls.join('\n') ?? ''),
    'set-hostname: sethostname(…) = 0, or told as skipped (chapter 5)', hostname?.calls.join('\n'));
  check(/^execve\("\/bin\/true", \["true"\], /m.test(callsOf(steps, 'exec-payload')) && steps.at(-1)?.name === 'exec-payload',
    'exec-payload: execve("/bin/true", ["true"], …) is the last thing told, before the call (chapter 1)');

  section("it tells on stderr, and the payload's output stays the payload's");
  const hi = await run(['echo', 'hi'], { flags: ['--explain', '--network', 'none'] });
  const plain = await run(['echo', 'hi'], { flags: ['--network', 'none'] });
  show([['stdout', JSON.stringify(plain.stdout), JSON.stringify(hi.stdout)], ['stderr lines', plain.stderr.split('\n').filter(Boolean).length, hi.stderr.split('\n').filter(Boolean).length]],
    ['`run … echo hi`', 'without --explain', 'with --explain']);
  check(hi.stdout === 'hi\n' && plain.stdout === 'hi\n', 'stdout is exactly "hi\\n" either way', JSON.stringify(hi.stdout));
  check(plain.stderr === '' && parseExplain(hi.stderr).length === pipeline.length + outside.length,
    'without --explain nothing is told; with it, every step', plain.stderr.trim());
});
