// Everything the runtime asks of the kernel beyond what Node offers.
export * from './constants.js';
export { SyscallError } from './errors.js';
export { mount, umount2, pivotRoot, makeReadOnly } from './mount.js';
export { sethostname, chdir, chroot, setresuid, setresgid, setgroups, setParentDeathSignal, execve, unshareCgroupNamespace, setns, getcwdSyscall } from './process.js';
export { makeInheritableBlocking, moveFd, closeOnExecFrom } from './fd.js';
export { resetSignals } from './signals.js';
export { mknod, lsetxattr, lgetxattr, llistxattr, openat2, mkdirat, openInRoot } from './files.js';
export { tryLock, waitLock, waitLockSync } from './lock.js';
export { socketPair, sendFd, receiveFd } from './socket.js';
export { setInterfaceUp } from './net.js';
export { openPty, setsid, setControllingTerminal, setWindowSize, getWindowSize, disableOutputProcessing, type Pty, type WindowSize } from './tty.js';
export {
  lastCapability, limitBoundingSet, getCapabilities, setCapabilities, clearAmbientCapabilities, keepCapabilitiesAcrossSetuid, setNoNewPrivileges,
} from './capabilities.js';
