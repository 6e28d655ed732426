// Booting the test VM with qemu, under a timeout the harness enforces itself.
//
// Software emulation (TCG) is the default because it is what works on every
// machine: on these hosts /dev/kvm is PVM, which boots only PVM-enabled
// guest kernels — a stock Debian kernel hangs in its decompressor or stops
// with "KVM internal error … emulation failure", and qemu does NOT exit on
// that error. So qemu always runs under a deadline, and a guest that never
// powers off is killed by pid. CELLBLOCK_VM_ACCEL=kvm tries KVM elsewhere.
import { spawn, spawnSync } from 'node:child_process';

export const QEMU = 'qemu-system-x86_64';

/** Whether qemu-system-x86_64 runs here. */
export function qemuAvailable() {
  return !spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).error;
}

/**
 * qemu's arguments for booting KERNEL with INITRD, the host's / as the
 * read-only 9p share "hostroot", SHARE as the read-write share "exchange"
 * and SCRATCH as a virtio disk (/dev/vda).
 */
export function qemuArgs({ kernel, initrd, share, scratch }) {
  return [
    '-accel', process.env.CELLBLOCK_VM_ACCEL || 'tcg,thread=multi',
    '-cpu', 'max', '-m', '2048', '-smp', '2',
    // No display, no default devices, the serial port on our stdout, and a
    // guest reboot (a kernel panic, with panic=-1) ends qemu instead.
    // -display none rather than -nographic: that would also tell SeaBIOS to
    // print its banner and terminal escapes on the serial port.
    '-display', 'none', '-nodefaults', '-no-reboot', '-serial', 'stdio',
    '-kernel', kernel, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet panic=-1',
    // multidevs=remap: the host's / spans several filesystems, whose inode
    // numbers would collide in one 9p mount without it.
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${share},mount_tag=exchange,security_model=none`,
    // cache=unsafe: the disk is thrown away, so never wait for the host's disk.
    '-drive', `file=${scratch},format=raw,if=virtio,cache=unsafe`,
  ];
}

/**
 * Run qemu with ARGS, passing the guest's console to OUTPUT (a function of
 * text) as it arrives, for at most TIMEOUT_MS:
 * { code, signal, timedOut, interrupted, pid }. A SIGINT or SIGTERM to the harness
 * (Ctrl-C, a cancelled CI job) kills qemu first: an emulated machine left
 * spinning would eat a core for nothing.
 */
export function runQemu(args, { timeoutMs, output }) {
  const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let timedOut = false;
  let interrupted;
  const kill = () => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const onSignal = (signal) => {
    interrupted = signal;
    kill();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', consoleFilter(output));
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve({ code, signal, timedOut, interrupted, pid: child.pid });
    });
  });
}

/**
 * The guest's tty turns each \n into \r\n: pass text on without the \r
 * (or logs get ^M everywhere), even when a chunk ends between the two.
 */
export function consoleFilter(output) {
  let pendingReturn = false;
  return (text) => {
    if (pendingReturn) text = `\r${text}`;
    pendingReturn = text.endsWith('\r');
    if (pendingReturn) text = text.slice(0, -1);
    if (text) output(text.replaceAll('\r\n', '\n'));
  };
}
