// Lab 11 — security: what the payload may do (capabilities, no_new_privs,
// seccomp, masked /proc) and what it must not reach (the runtime's fds, a
// working directory outside its root).
// Chapter: chapters/11-security.md
// Code:    src/security/capabilities.ts and options.ts (the flags),
//          src/security/default-seccomp.ts and seccomp-profile.ts (docker's
//          profile), src/syscalls/libseccomp.ts (compiling it to BPF),
//          src/init/capabilities.ts, masked-paths.ts and seccomp.ts (the init's steps)
//
// Run: node labs/11-security/lab.mjs
//
// Every container runs as the unprivileged user, and the "host" column is
// that same user on the host, outside any container.
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, lab, missingCommands, note, section, show, skip } from '../lib.mjs';
import { PROJECT } from '../../scripts/lib/as-user.mjs';

const load = (path) => import(pathToFileURL(join(PROJECT, 'dist', path)).href);
const { CAPABILITIES, DEFAULT_CAPABILITIES, capabilityMask } = await load('security/capabilities.js');
const { parseSeccompProfile, planSeccomp } = await load('security/seccomp-profile.js');
const { defaultSeccompProfile } = await load('security/default-seccomp.js');

const NONE = ['--network', 'none'];
const ZERO = '0'.repeat(16);
/** docker's default set, as /proc/PID/status prints it. */
const DOCKER_DEFAULT = '00000000a80425fb';
const CAP_LAST = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
const ALL_CAPS = ((1n << BigInt(CAP_LAST + 1)) - 1n).toString(16).padStart(16, '0');

/** "Name:\tvalue" lines (of /proc/PID/status) as { Name: 'value' }. */
const fields = (text) => Object.fromEntries(text.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));

/** The capability names in a hex mask, short: "chown,dac_override,…". */
const decode = (hex) => CAPABILITIES.filter((_, bit) => (BigInt(`0x${hex}`) >> BigInt(bit)) & 1n).map((name) => name.slice(4).toLowerCase());

// ───────────────────── a BPF program, one 8-byte instruction at a time ─────────────────────

/** struct seccomp_data, the input of every filter: which field is at byte offset K. */
function dataField(k) {
  if (k === 0) return 'nr (the syscall number)';
  if (k === 4) return 'arch';
  if (k === 8 || k === 12) return 'instruction_pointer';
  const arg = Math.floor((k - 16) / 8);
  return `args[${arg}] ${(k - 16) % 8 === 0 ? 'low' : 'high'} 32 bits`;
}

const RETURNS = { 0x80000000: 'KILL_PROCESS', 0x00000000: 'KILL_THREAD', 0x00030000: 'TRAP', 0x00050000: 'ERRNO', 0x7ff00000: 'TRACE', 0x7ffc0000: 'LOG', 0x7fff0000: 'ALLOW' };
/** The two calls of the lab's profile, by their x86-64 numbers (<asm/unistd_64.h>). */
const X86_64_SYSCALLS = { 83: 'mkdir', 258: 'mkdirat' };
const ARCHES = { 0xc000003e: 'AUDIT_ARCH_X86_64', 0x40000003: 'AUDIT_ARCH_I386', 0xc00000b7: 'AUDIT_ARCH_AARCH64', 0x40000028: 'AUDIT_ARCH_ARM' };

/**
 * One struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } in
 * words. Only the opcodes libseccomp emits for simple rules are named;
 * jumps are relative: "jf +7" skips the next 7 instructions when false.
 */
function disassemble({ code, jt, jf, k }) {
  const hex = `0x${k.toString(16)}`;
  const jumps = `jt +${jt} jf +${jf}`;
  switch (code) {
    case 0x20: return `ld  [${k}]            A = ${dataField(k)}`;
    case 0x15: {
      const meaning = ARCHES[k] ?? (k === 0xffffffff ? 'nr -1: a call a tracer cancelled' : arch() === 'x64' ? X86_64_SYSCALLS[k] : undefined);
      return `jeq ${hex} ${jumps}${meaning ? `  (${meaning})` : ''}`;
    }
    case 0x35: return `jge ${hex} ${jumps}${k === 0x40000000 ? '  (__X32_SYSCALL_BIT)' : ''}`;
    case 0x25: return `jgt ${hex} ${jumps}`;
    case 0x45: return `jset ${hex} ${jumps}`;
    case 0x05: return `ja  +${k}`;
    case 0x06: {
      const action = (k & 0xffff0000) >>> 0;
      return `ret ${hex}  (${RETURNS[action] ?? '?'}${action === 0x00050000 ? ` ${k & 0xffff}` : ''})`;
    }
    default: return `code 0x${code.toString(16)} ${jumps} k=${hex}`;
  }
}

/** The instructions of a raw BPF program, as libseccomp's seccomp_export_bpf writes it. */
function instructions(buffer) {
  const list = [];
  for (let at = 0; at + 8 <= buffer.length; at += 8) {
    list.push({ code: buffer.readUInt16LE(at), jt: buffer[at + 2], jf: buffer[at + 3], k: buffer.readUInt32LE(at + 4) });
  }
  return list;
}

await lab('Lab 11 · security', async ({ runner, user, sh, run, asUser, startAsUser, cellblock, rootfs }) => {
  // ─────────────────────────────── capabilities ───────────────────────────────
  section('capabilities: what root in the container keeps');
  const host = fields((await asUser('grep', ['^Cap', '/proc/self/status'])).stdout);
  const caps = async (flags) => {
    const r = await sh('grep ^Cap /proc/self/status', { flags: [...NONE, ...flags] });
    return { ...fields(r.stdout), error: r.stderr.trim() };
  };
  const byDefault = await caps([]);
  const dropAll = await caps(['--cap-drop', 'ALL']);
  const privileged = await caps(['--privileged']);
  const asAlice = await caps(['-u', '1000']);
  show([
    [`${user.name} on the host`, `CapEff ${host.CapEff}`, `CapBnd ${host.CapBnd}`],
    ['root in the container (default)', `CapEff ${byDefault.CapEff}`, `CapBnd ${byDefault.CapBnd}`],
    ['--cap-drop ALL', `CapEff ${dropAll.CapEff}`, `CapBnd ${dropAll.CapBnd}`],
    ['--privileged', `CapEff ${privileged.CapEff}`, `CapBnd ${privileged.CapBnd}`],
    ['-u 1000 (not root)', `CapEff ${asAlice.CapEff}`, `CapBnd ${asAlice.CapBnd}`],
  ], ['', 'effective set', 'bounding set']);
  note(`${DOCKER_DEFAULT} = ${decode(DOCKER_DEFAULT).join(',')}`);
  check(host.CapEff === ZERO, `${user.name} has no capability at all on the host`, `CapEff ${host.CapEff}`);
  check(capabilityMask(DEFAULT_CAPABILITIES).toString(16).padStart(16, '0') === DOCKER_DEFAULT && DEFAULT_CAPABILITIES.length === 14,
    `docker's 14 default capabilities are the mask ${DOCKER_DEFAULT}`);
  check(byDefault.CapEff === DOCKER_DEFAULT && byDefault.CapBnd === DOCKER_DEFAULT && byDefault.CapAmb === ZERO,
    'root in the container keeps exactly those, in its effective and bounding sets, and no ambient ones', byDefault.error || JSON.stringify(byDefault));
  check(dropAll.CapEff === ZERO && dropAll.CapBnd === ZERO, '--cap-drop ALL leaves nothing, not even in the bounding set', dropAll.error);
  check(privileged.CapEff === ALL_CAPS, `--privileged keeps all ${CAP_LAST + 1} (cap_last_cap is ${CAP_LAST})`, privileged.error || privileged.CapEff);
  check(asAlice.CapEff === ZERO && asAlice.CapPrm === ZERO && asAlice.CapBnd === DOCKER_DEFAULT,
    '-u 1000: execve gave a non-root user nothing, and the bounding set is the same', asAlice.error || JSON.stringify(asAlice));

  const chown = 'touch /tmp/f && chown 1:1 /tmp/f; echo status=$?';
  const withChown = await sh(chown, { flags: NONE });
  const withoutChown = await sh(chown, { flags: [...NONE, '--cap-drop', 'CHOWN'] });
  show([
    ['chown 1:1 /tmp/f', '', withChown.stdout.trim() || withChown.stderr.trim()],
    ['the same, --cap-drop CHOWN', '', `${withoutChown.stderr.trim()} ${withoutChown.stdout.trim()}`],
  ]);
  check(/status=0/.test(withChown.stdout), 'root in the container may give a file away (CAP_CHOWN)', withChown.stderr.trim());
  check(/status=1/.test(withoutChown.stdout) && /Operation not permitted/.test(withoutChown.stderr),
    'with --cap-drop CHOWN the same chown fails with EPERM', withoutChown.stdout + withoutChown.stderr);

  // ───────────────────────────── no_new_privs ─────────────────────────────
  section('no_new_privs: a setuid program gains nothing');
  const nnp = async (flags) => fields((await sh('grep ^NoNewPrivs /proc/self/status', { flags: [...NONE, ...flags] })).stdout).NoNewPrivs;
  const nnpDefault = await nnp([]);
  const nnpAsked = await nnp(['--security-opt', 'no-new-privileges']);
  show([['NoNewPrivs', fields((await asUser('grep', ['^NoNewPrivs', '/proc/self/status'])).stdout).NoNewPrivs, `${nnpDefault}; with --security-opt no-new-privileges: ${nnpAsked}`]]);
  check(nnpDefault === '0' && nnpAsked === '1', 'off by default, as in docker; --security-opt no-new-privileges sets it', `${nnpDefault} / ${nnpAsked}`);
  // By hand, on the host: newuidmap (chapter 2) is setuid root. Under no_new_privs it runs as the user, and the kernel refuses its write.
  // (A map of one's own uid alone needs no privilege: the second line, a subordinate id, is what needs root.)
  const missing = missingCommands(['newuidmap', 'setpriv', 'unshare']);
  const subuid = readFileSync('/etc/subuid', 'utf8').split('\n').map((l) => l.split(':'))
    .find(([who]) => who === user.name || who === String(user.uid))?.[1];
  if (missing.length || !subuid) {
    skip('setuid newuidmap under no_new_privs', missing.length ? `missing ${missing.join(', ')}` : `${user.name} has no range in /etc/subuid`);
  } else {
    const tryMap = async (prefix) => {
      const holder = startAsUser('unshare', ['--user', 'sh', '-c', 'echo ready; read line']);
      await holder.line(/^ready$/);
      const pid = String(holder.child.pid);
      const [file, ...args] = [...prefix, 'newuidmap', pid, '0', String(user.uid), '1', '1', subuid, '1'];
      const r = await asUser(file, args);
      const map = readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim();
      await holder.stop();
      return { ...r, map };
    };
    const plain = await tryMap([]);
    const restricted = await tryMap(['setpriv', '--no-new-privs']);
    show([
      ['newuidmap (setuid root)', `exit ${plain.code}`, plain.map.replace(/[ \t]+/g, ' ') || plain.stderr.trim()],
      ['setpriv --no-new-privs newuidmap', `exit ${restricted.code}`, restricted.stderr.trim() || restricted.map],
    ], [`on the host, as ${user.name}`, 'status', 'uid_map, or the error']);
    check(plain.code === 0 && plain.map.split(/\s+/).join(' ') === `0 ${user.uid} 1 1 ${subuid} 1`, 'the setuid-root newuidmap writes a uid_map with a subordinate id', plain.stderr.trim());
    check(restricted.code !== 0 && restricted.map === '' && /Operation not permitted/.test(restricted.stderr),
      'under no_new_privs the same program runs without root, and the kernel refuses it', restricted.stderr.trim() || restricted.map);
  }

  // ───────────────────────────────── seccomp ─────────────────────────────────
  section('seccomp: a filter on every system call');
  // --rootfs shares one directory between the containers: rmdir first, so that each mkdir starts from nothing.
  const tryUnshare = 'grep ^Seccomp: /proc/self/status; unshare -U true && echo allowed; rmdir /made 2>/dev/null; mkdir /made && echo made';
  const confined = await sh(tryUnshare, { flags: NONE });
  const unconfined = await sh(tryUnshare, { flags: [...NONE, '--security-opt', 'seccomp=unconfined'] });
  const dir = runner.tempDir('cellblock-lab-profile-');
  const profilePath = join(dir, 'no-mkdir.json');
  const tiny = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
  writeFileSync(profilePath, `${JSON.stringify(tiny, null, 2)}\n`, { mode: 0o644 });
  runner.chownTree(dir);
  const own = await sh(tryUnshare, { flags: [...NONE, '--security-opt', `seccomp=${profilePath}`] });
  const hostSeccomp = fields((await asUser('grep', ['^Seccomp:', '/proc/self/status'])).stdout).Seccomp;
  /** "Seccomp 2 · unshare -U: EPERM · mkdir: ok" */
  const summary = (r) => {
    const unshare = /allowed/.test(r.stdout) ? 'ok' : /Operation not permitted/.test(r.stderr) ? 'EPERM' : r.stderr.trim();
    const mkdir = /made/.test(r.stdout) ? 'ok' : /Permission denied/.test(r.stderr) ? 'EACCES' : r.stderr.trim();
    return `Seccomp ${/^Seccomp:\s+(\d)/m.exec(r.stdout)?.[1] ?? '?'} · unshare -U: ${unshare} · mkdir: ${mkdir}`;
  };
  show([
    ['the default profile', `Seccomp: ${hostSeccomp}`, summary(confined)],
    ['seccomp=unconfined', '', summary(unconfined)],
    ['seccomp=no-mkdir.json', '', summary(own)],
  ]);
  check(/^Seccomp:\s+2$/m.test(confined.stdout), 'the payload runs under a filter (Seccomp: 2, "filter mode")', confined.stdout);
  check(/unshare\(0x10000000\): Operation not permitted/.test(confined.stderr) && !/allowed/.test(confined.stdout),
    'unshare(CLONE_NEWUSER) is refused with EPERM: no capability is needed for it, only the filter stops it', confined.stderr.trim());
  check(/made/.test(confined.stdout), 'ordinary calls (mkdir) pass the filter', confined.stderr.trim());
  check(/^Seccomp:\s+0$/m.test(unconfined.stdout) && /allowed/.test(unconfined.stdout), 'with seccomp=unconfined there is no filter, and the same unshare works', unconfined.stderr.trim());
  check(/allowed/.test(own.stdout) && /can't create directory '\/made': Permission denied/.test(own.stderr),
    'a profile of your own (docker\'s JSON): unshare allowed, mkdir fails with errnoRet 13, EACCES', summary(own));

  // The same tiny profile, compiled by libseccomp but not loaded: its BPF program, decoded.
  const { exportBpf } = await load('syscalls/libseccomp.js');
  const dump = (plan) => {
    const path = join(dir, 'filter.bpf');
    const fd = openSync(path, 'w');
    try {
      exportBpf(plan, fd);
    } finally {
      closeSync(fd);
    }
    return instructions(readFileSync(path));
  };
  const tinyProgram = dump(planSeccomp(parseSeccompProfile(JSON.stringify(tiny), 'no-mkdir.json'), { capabilities: [] }));
  const defaultProgram = dump(planSeccomp(defaultSeccompProfile, { capabilities: DEFAULT_CAPABILITIES }));
  console.log(`  no-mkdir.json compiles to ${tinyProgram.length} instructions (docker's default profile: ${defaultProgram.length}):`);
  tinyProgram.forEach((insn, i) => {
    const raw = `${insn.code.toString(16).padStart(4, '0')} ${String(insn.jt).padStart(2)} ${String(insn.jf).padStart(2)} ${insn.k.toString(16).padStart(8, '0')}`;
    console.log(`    ${String(i).padStart(2)}: ${raw}   ${disassemble(insn)}`);
  });
  console.log();
  check(tinyProgram.length > 0 && tinyProgram[0].code === 0x20 && tinyProgram[0].k === 4, 'the program starts by loading the architecture (seccomp_data.arch, offset 4)');
  if (arch() === 'x64') {
    check(tinyProgram.some((i) => i.code === 0x15 && i.k === 0xc000003e), 'and compares it with AUDIT_ARCH_X86_64: a call of another architecture takes another path');
  }
  check(tinyProgram.some((i) => i.code === 0x06 && i.k === 0x0005000d) && tinyProgram.some((i) => i.code === 0x06 && i.k === 0x7fff0000),
    'it returns ERRNO|13 (0x0005000d) for mkdir and mkdirat, and ALLOW (0x7fff0000) for the rest');
  check(defaultProgram.length > 10 * tinyProgram.length, `docker's default profile is a much longer program (${defaultProgram.length} instructions)`);

  // ─────────────────────────── masked and read-only /proc ───────────────────────────
  section('masked and read-only paths in /proc');
  const script = 'wc -c < /proc/keys; echo x > /proc/sys/kernel/hostname; grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f5,6';
  const masked = await sh(script, { flags: NONE });
  const open = await sh(script, { flags: [...NONE, '--security-opt', 'systempaths=unconfined'] });
  const hostKeys = (await asUser('wc', ['-c', '/proc/keys'])).stdout.trim().split(/\s+/)[0];
  const [keysMasked, sysMount = ''] = masked.stdout.trim().split('\n');
  const [keysOpen, sysOpen = '(no mount of its own)'] = open.stdout.trim().split('\n');
  show([
    ['/proc/keys (bytes)', hostKeys, `${keysMasked}; with systempaths=unconfined: ${keysOpen}`],
    ['/proc/sys in mountinfo', '', sysMount],
    ['… with systempaths=unconfined', '', sysOpen],
    ['echo x > /proc/sys/kernel/hostname', '', masked.stderr.trim().replace(/^sh: can't create \/proc\/sys\/kernel\/hostname: /, '')],
  ]);
  check(keysMasked === '0', '/proc/keys reads empty in the container (a bind of /dev/null covers it)', masked.stdout);
  check(Number(keysOpen) > 0, 'with --security-opt systempaths=unconfined it is the kernel\'s file again', open.stdout + open.stderr);
  check(/^\/proc\/sys ro/.test(sysMount) && /Read-only file system/.test(masked.stderr), '/proc/sys is a read-only mount: a write fails with EROFS', masked.stdout + masked.stderr);

  // ──────────────────────────────── no leaks ────────────────────────────────
  section('nothing of the runtime reaches the payload');
  // Not through a pipe, $(…) or a redirection (busybox sh would hold one more
  // fd while it runs), and not last (sh would exec ls, which lists its own).
  const fds = await sh('ls -l /proc/$$/fd; true', { flags: NONE });
  const numbers = fds.stdout.split('\n').map((line) => / (\d+) -> /.exec(line)?.[1]).filter(Boolean);
  const workdir = await run(['pwd'], { flags: [...NONE, '-w', '/proc/self/fd/5'] });
  const workdirLines = workdir.stderr.trim().split('\n');
  show([
    ['fds of the payload (ls -l /proc/$$/fd)', '', numbers.join(' ')],
    ['run -w /proc/self/fd/5 pwd', `exit ${workdir.code}`, workdir.stderr.trim().replace(/^cellblock: -w \/proc\/self\/fd\/5: /, '')],
  ]);
  check(numbers.join(' ') === '0 1 2', 'the payload holds fds 0, 1 and 2 and nothing else of the init\'s', fds.stdout + fds.stderr);
  check(workdir.code === 125 && workdirLines.length === 1 && /fd\/5/.test(workdirLines[0]) && workdir.stdout === '',
    '-w /proc/self/fd/5 is refused in one line, exit 125 (runc CVE-2024-21626)', workdir.stdout + workdir.stderr);

  // ──────────────────────────────── the limits ────────────────────────────────
  section('a limit: cellblock exec');
  const name = `lab11-${process.pid}`;
  const started = await cellblock(['run', '-d', '--name', name, ...NONE, '--rootfs', rootfs, 'sleep', '1000']);
  if (started.code !== 0) {
    skip('exec beside a running container', started.stderr.trim());
  } else {
    try {
      const status = 'grep -E "^(CapBnd|Seccomp):" /proc/self/status /proc/1/status';
      const inside = (await cellblock(['exec', name, 'sh', '-c', status])).stdout;
      const at = (file, key) => inside.split('\n').find((l) => l.startsWith(`${file}:${key}:`))?.split(/:\s*/).at(-1);
      show([
        ['pid 1 (run -d)', `CapBnd ${at('/proc/1/status', 'CapBnd')}`, `Seccomp ${at('/proc/1/status', 'Seccomp')}`],
        ['a process of cellblock exec', `CapBnd ${at('/proc/self/status', 'CapBnd')}`, `Seccomp ${at('/proc/self/status', 'Seccomp')}`],
      ], ['', 'bounding set', 'seccomp']);
      note('exec joins the namespaces with nsenter: setns into the user namespace gives a full bounding set, and no filter is loaded (chapter 11, "The limits")');
    } finally {
      await cellblock(['rm', '-f', name]);
    }
  }
});
