// npm run demo — build a tiny image from the host's busybox-static, offline,
// with cellblock's own image code (`cellblock import`), run it by name, and
// show side by side what a process sees on the host and inside the container.
import { readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Runner } from './lib/as-user.mjs';
import { buildBusyboxRootfs } from './lib/rootfs.mjs';

let runner;
try {
  runner = new Runner();
} catch {
  // Root without the test user: run as root (still a new user namespace, mapped 0 → 0).
  runner = new Runner({ asRoot: true });
  console.log('(running as root: create an unprivileged user, or run as one, to see the rootless case)\n');
}

const IMAGE = 'localhost/cellblock-demo:latest';

const probe = [
  'echo "uid=$(id -u)"',
  'echo "pid=$$"',
  'echo "hostname=$(hostname)"',
  'echo "mounts=$(wc -l < /proc/self/mountinfo)"',
  'echo "processes=$(ls -d /proc/[0-9]* | wc -l)"',
  'echo "uid_map=$(tr -s " " < /proc/self/uid_map | sed "s/^ //" | paste -sd ";")"',
].join('; ');

function parse(text) {
  return Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

let status = 1;
try {
  const rootfs = buildBusyboxRootfs(join(runner.tempDir('cellblock-demo-'), 'rootfs'));
  runner.chownTree(rootfs);
  const host = parse((await runner.exec('sh', ['-c', probe])).stdout);
  host.hostname = hostname();
  host.processes = String(readdirSync('/proc').filter((p) => /^\d+$/.test(p)).length);
  host.mounts = String(readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').length);
  const imported = await runner.cellblock(['import', '--change', 'CMD ["sh"]', rootfs, IMAGE]);
  if (imported.code !== 0) throw new Error(`cellblock import failed (exit ${imported.code}): ${imported.stderr.trim()}`);
  console.log((await runner.cellblock(['images'])).stdout);
  // --network none: the probe needs no network, and the demo must work offline
  // on a machine with no network helper (passt, slirp4netns) installed.
  const inside = await runner.cellblock(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', probe]);
  if (inside.code !== 0) throw new Error(`cellblock run failed (exit ${inside.code}): ${inside.stderr.trim()}`);
  const container = parse(inside.stdout);

  const rows = [
    ['', `host (as ${runner.user.name})`, 'container'],
    ['uid (id -u)', host.uid, container.uid],
    ['uid_map', host.uid_map, container.uid_map],
    ['pid of the shell', host.pid, container.pid],
    ['hostname', host.hostname, container.hostname],
    ['mounts', host.mounts, container.mounts],
    ['processes visible', host.processes, container.processes],
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join('   ').trimEnd());
  console.log(`\nThe same shell command ran twice: once as ${runner.user.name} on the host, once as pid 1 of a`);
  console.log(`container of ${IMAGE}, an image made just now from busybox-static (one layer,`);
  console.log('mounted with overlayfs). Chapters 01-05 explain each line; 07 and 08 the image.');
  status = 0;
} catch (error) {
  console.error(`demo: ${error.message}`);
} finally {
  runner.cleanup();
}
process.exit(status);
