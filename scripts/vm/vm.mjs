// Run one command in a fresh test VM, as the unprivileged user, and say how it ended.
//
// The pieces: boot-files.mjs (kernel + initramfs, cached), job.mjs (the
// exchange share and the scratch disk), qemu.mjs (the machine), and in the
// guest init.sh → guest.sh → provision.sh. Used by run.mjs (npm run test:vm)
// and by anything else that needs real cgroup v2 limits (the cgroups lab).
import { PROJECT, unprivilegedUser } from '../lib/as-user.mjs';
import { bootFiles } from './boot-files.mjs';
import { jobResult, prepareJob, removeJob } from './job.mjs';
import { qemuArgs, runQemu } from './qemu.mjs';

const log = (message) => process.stderr.write(`cellblock-vm: ${message}\n`);

/**
 * Boot the VM and run COMMAND (argv, in the project directory) as the user
 * cellblock's tests run as: { status, output, seconds, timedOut, interrupted,
 * qemu }. status is undefined when the guest never reported one. OUTPUT gets
 * the guest's console as it arrives.
 */
export async function runInVm(command, { timeoutMs, output = (text) => process.stdout.write(text) }) {
  const user = unprivilegedUser();
  const started = Date.now();
  const files = await bootFiles(log);
  log(`${files.cached ? 'cached' : 'built'} kernel and initramfs in ${files.dir} (${elapsed(started)} s)`);
  const job = prepareJob({ project: PROJECT, user, command });
  try {
    const booted = Date.now();
    let last = '\n';
    const qemu = await runQemu(qemuArgs({ ...files, ...job }), { timeoutMs, output: (text) => output((last = text)) });
    if (!last.endsWith('\n')) output('\n'); // the kernel's last words ("reboot: Power down") end without one
    const result = jobResult(job);
    return { ...result, seconds: elapsed(booted), totalSeconds: elapsed(started), timedOut: qemu.timedOut, interrupted: qemu.interrupted, qemu };
  } finally {
    removeJob(job);
  }
}

function elapsed(since) {
  return ((Date.now() - since) / 1000).toFixed(1);
}
