// Builds a tiny root filesystem from the host's busybox-static, offline.
//
// busybox --install -s would write absolute symlinks (/bin/sh -> /bin/busybox);
// those still work inside the container, but they point at the HOST's busybox
// when you look at them from outside. We write relative links instead
// (usr/bin/awk -> ../../bin/busybox), so the tree is correct from both sides.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export function buildBusyboxRootfs(dir) {
  if (!existsSync(BUSYBOX)) {
    throw new Error(`${BUSYBOX} not found: install Debian's busybox-static (apt-get install busybox-static)`);
  }
  for (const sub of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'proc', 'sys', 'dev', 'home']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: sub === 'tmp' ? 0o1777 : 0o755 });
  }
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(dir, 'bin/busybox')]);
  execFileSync('chmod', ['1777', join(dir, 'tmp')]);
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const link = join(dir, applet);
    if (applet === 'bin/busybox' || existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(dir, 'bin/busybox')), link);
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\ntty:x:5:\nstaff:x:50:alice\nnogroup:x:65534:\nalice:x:1000:\n');
  mkdirSync(join(dir, 'home/alice'), { recursive: true });
  return dir;
}
