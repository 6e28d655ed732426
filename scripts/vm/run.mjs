#!/usr/bin/env node
// npm run test:vm — the tests that need real cgroup v2 limits, in a VM.
//
//   node scripts/vm/run.mjs               node --test test/vm/*.test.mjs in the VM
//   node scripts/vm/run.mjs -- CMD ARGS…  any other command, in the project directory
//
// The command runs as the unprivileged test user (yourself, or cbtest /
// $CELLBLOCK_TEST_USER when you are root), inside a cgroup v2 subtree
// delegated to it, with CELLBLOCK_IN_VM=1. We exit with its exit status.
// CELLBLOCK_VM_TIMEOUT (seconds, default 1200) bounds the VM (qemu is then killed);
// CELLBLOCK_VM_CACHE moves the kernel cache; CELLBLOCK_VM_ACCEL=kvm tries KVM.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT } from '../lib/as-user.mjs';
import { qemuAvailable, QEMU } from './qemu.mjs';
import { runInVm } from './vm.mjs';

const say = (message) => process.stderr.write(`cellblock-vm: ${message}\n`);

function defaultCommand() {
  const files = readdirSync(join(PROJECT, 'test/vm')).filter((name) => name.endsWith('.test.mjs')).sort();
  return [process.execPath, '--test', '--test-concurrency=1', ...files.map((name) => `test/vm/${name}`)];
}

async function main() {
  const args = process.argv.slice(2);
  const command = args[0] === '--' ? args.slice(1) : args;
  if (process.arch !== 'x64') {
    console.log(`SKIP: the test VM is x86_64 (a Debian amd64 kernel under ${QEMU}); this is ${process.arch}`);
    return 0;
  }
  if (!qemuAvailable()) {
    console.log(`SKIP: ${QEMU} is not installed, so the cgroup v2 tests cannot boot their VM (apt-get install qemu-system-x86)`);
    return 0;
  }
  const timeoutSeconds = Number(process.env.CELLBLOCK_VM_TIMEOUT || 1200);
  const result = await runInVm(command.length ? command : defaultCommand(), { timeoutMs: timeoutSeconds * 1000 });
  if (result.interrupted) {
    say(`interrupted (${result.interrupted}): the VM was killed`);
    return 130;
  }
  if (result.timedOut) {
    say(`FAILED: the VM did not finish within ${timeoutSeconds} s (CELLBLOCK_VM_TIMEOUT), so qemu (pid ${result.qemu.pid}) was killed`);
    return 1;
  }
  if (result.status === undefined) {
    const how = result.qemu.signal ? `signal ${result.qemu.signal}` : `exit code ${result.qemu.code}`;
    say(`FAILED: the VM stopped (qemu ${how}) without reporting the command's exit status: see its console above`);
    return 1;
  }
  say(`the command exited ${result.status} (VM ${result.seconds} s, in all ${result.totalSeconds} s)`);
  return result.status;
}

try {
  process.exitCode = await main();
} catch (error) {
  say(`FAILED: ${error.message}`);
  process.exitCode = 1;
}
