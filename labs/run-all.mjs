// Run every lab (labs/NN-topic/lab.mjs) in order, each as its own process,
// then print one line per lab. Exits non-zero if any lab failed.
//
// Run: npm run labs   (builds first)   or   node labs/run-all.mjs
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chalk } from 'zx';

const LABS = dirname(fileURLToPath(import.meta.url));
const TIMEOUT_MS = 180_000; // per lab; each bounds its own waits well below this

const labs = readdirSync(LABS).filter((name) => /^\d\d-/.test(name) && existsSync(join(LABS, name, 'lab.mjs'))).sort();

/** Run one lab with the terminal as its output; { code, seconds }. */
function runLab(name) {
  const started = Date.now();
  const child = spawn(process.execPath, [join(LABS, name, 'lab.mjs')], { stdio: 'inherit' });
  // A lab that hangs gets SIGTERM (it cleans up on that), then SIGKILL.
  const term = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
  const kill = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS + 10_000);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(term);
    clearTimeout(kill);
    resolve({ code: code ?? `killed by ${signal}`, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  }));
}

const results = [];
for (const name of labs) {
  console.log(chalk.bold(`\n━━━━━━━━━━ ${name} ━━━━━━━━━━`));
  results.push({ name, ...(await runLab(name)) });
}

console.log(chalk.bold('\nlabs:'));
for (const { name, code, seconds } of results) {
  console.log(`  ${code === 0 ? chalk.green('✔ pass') : chalk.red(`✘ FAIL (${code})`)}  ${name.padEnd(24)} ${seconds} s`);
}
const failed = results.filter((r) => r.code !== 0).length;
console.log(failed ? chalk.red.bold(`${failed} of ${results.length} labs failed`) : chalk.green.bold(`all ${results.length} labs passed`));
process.exit(failed || labs.length === 0 ? 1 : 0);
