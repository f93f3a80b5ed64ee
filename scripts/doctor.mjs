// @ts-check
/**
 * `npm run doctor`: checks every prerequisite at once and says, for each one missing, how to get it.
 *   node scripts/doctor.mjs [--for unit|infra|integration|contract|deploy|faults|start] [--quiet]
 * `--for` checks only what that suite (or `npm start`) needs; `--quiet` prints nothing when all is well. The test
 * scripts call it first, so a missing tool is named before a suite fails on it minutes later.
 *
 * Plain JavaScript with no dependencies, on purpose: it must run before `npm ci`, and on the older Node.js it is
 * there to report.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const NODE_VERSION = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
const MIN_JAVA = 17;
// The emulators' installs (about 1.1 GB), node_modules (0.7 GB) and synthesized stacks, with room to spare.
const MIN_FREE_GIB = 3;

/** @typedef {{ ok: true, found: string } | { ok: false, problem: string, fix: string }} Verdict */
/** @typedef {{ name: string, for: string[], run: () => Verdict | Promise<Verdict>, warnOnly?: boolean }} Check */

const EVERY_SUITE = ['unit', 'infra', 'integration', 'contract', 'deploy', 'faults', 'start'];
const EMULATED = ['integration', 'contract', 'faults', 'start'];
// cfn-lint, checkov and the template linters run on Python 3.13 too.
const PYTHON_USERS = ['infra', 'integration', 'contract', 'deploy', 'faults', 'start'];

/** @returns {string | undefined} what the command printed (both streams: `java -version` writes to stderr), or undefined when it cannot run */
function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (result.error) return undefined;
  return `${result.stdout}${result.stderr}`;
}

const bad = (problem, fix) => /** @type {Verdict} */ ({ ok: false, problem, fix });
const good = (found) => /** @type {Verdict} */ ({ ok: true, found });

function checkNode() {
  const major = NODE_VERSION.split('.')[0];
  if (process.versions.node.split('.')[0] === major) return good(`Node.js ${process.versions.node}`);
  return bad(
    `Node.js ${process.versions.node} runs this, the project needs Node.js ${major} (.nvmrc: ${NODE_VERSION})`,
    '`nvm install && nvm use`, or `source scripts/use-node.sh` (fetches it from the npm registry into a cache)',
  );
}

/** The same search as scripts/lib/python-tool.sh: PYTHON313, python3.13 on PATH, then pyenv's versions. */
function checkPython() {
  const pyenvVersions = join(process.env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions');
  const underPyenv = existsSync(pyenvVersions)
    ? readdirSync(pyenvVersions)
        .filter((version) => version.startsWith('3.13'))
        .map((version) => join(pyenvVersions, version, 'bin', 'python3.13'))
    : [];
  for (const candidate of [process.env.PYTHON313, 'python3.13', ...underPyenv]) {
    if (!candidate) continue;
    const version = run(candidate, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'])?.trim();
    if (version?.startsWith('3.13.')) return good(`Python ${version} (${candidate})`);
  }
  return bad(
    'Python 3.13 not found (not PYTHON313, not python3.13 on PATH, not under pyenv); the emulators and linters run on it',
    '`pyenv install 3.13`, or your OS package (`sudo apt-get install python3.13`), or set PYTHON313 to one',
  );
}

function checkJava() {
  const output = run('java', ['-version']);
  if (!output)
    return bad(
      'java not found; DynamoDB Local runs on it',
      'install a JDK 17 or newer: `sudo apt-get install openjdk-17-jdk-headless`',
    );
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= MIN_JAVA)) {
    return bad(
      `Java ${match?.[1] ?? 'of unknown version'} found; DynamoDB Local needs ${MIN_JAVA} or newer`,
      'install a JDK 17 or newer and put it first on PATH',
    );
  }
  if (!run('javac', ['-version'])) {
    return bad(
      `Java ${major} is a JRE without javac; the deploy emulator builds two small stand-ins with it`,
      'install the JDK: `sudo apt-get install openjdk-17-jdk-headless`',
    );
  }
  return good(`Java ${major} (JDK)`);
}

function checkMaven() {
  const version = /Apache Maven ([\d.]+)/.exec(run('mvn', ['-v']) ?? '')?.[1];
  if (!version)
    return bad(
      'mvn not found; DynamoDB Local and its SQLite library come from Maven Central through it',
      '`sudo apt-get install maven`',
    );
  return good(`Maven ${version}`);
}

function checkCurl() {
  if (!run('curl', ['--version']))
    return bad('curl not found; the emulator scripts probe health with it', '`sudo apt-get install curl`');
  return good('curl');
}

function checkChromium() {
  const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (existsSync(path)) return good(`Chromium (${path})`);
  const canInstall = process.getuid?.() === 0 && Boolean(run('apt-get', ['--version']));
  if (canInstall) return good(`Chromium missing; the browser tests install Debian's package with apt on first use`);
  return bad(
    `${path} not found; three integration tests drive the outbox page in it`,
    '`sudo apt-get install chromium`, or set CHROMIUM_PATH to a Chromium or Chrome',
  );
}

/** @param {number} port @returns {Promise<boolean>} whether something accepts connections there */
function listening(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2_000 });
    const answer = (taken) => {
      socket.destroy();
      resolve(taken);
    };
    socket.once('connect', () => answer(true));
    socket.once('timeout', () => answer(true));
    socket.once('error', () => answer(false));
  });
}

/** @param {string} url @returns {Promise<Response | undefined>} */
async function probe(url) {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch {
    return undefined;
  }
}

/**
 * A port is fine when it is free (the suites start the emulator there) or when the emulator already answers on it
 * (they reuse it); anything else there would be mistaken for it. The port is the environment variable's that moves
 * it, or its default.
 * @param {string} label @param {string} variable @param {number} defaultPort
 * @param {(port: number) => Promise<boolean>} isOurs
 */
function portCheck(label, variable, defaultPort, isOurs) {
  const port = Number(process.env[variable] || defaultPort);
  return async () => {
    if (!(await listening(port))) return good(`port ${port} free for ${label}`);
    if (await isOurs(port)) return good(`${label} already answers on ${port}, and will be reused`);
    return bad(
      `port ${port} is taken by something that is not ${label}`,
      `stop what listens there (\`ss -ltnp 'sport = :${port}'\`), or set ${variable} to a free port`,
    );
  };
}

// LocalStack's health document lists its services; any other server answering 200 there is not it.
const isLocalStack = async (port) => {
  const health = await probe(`http://127.0.0.1:${port}/_localstack/health`);
  const body = health?.ok ? await health.json().catch(() => undefined) : undefined;
  return typeof body?.services === 'object';
};
const isDynamoDbLocal = async (port) =>
  Boolean((await probe(`http://127.0.0.1:${port}/`))?.headers.get('x-amzn-requestid'));

function checkDisk() {
  const stats = statfsSync(ROOT);
  const freeGib = (stats.bavail * stats.bsize) / 2 ** 30;
  if (freeGib < MIN_FREE_GIB)
    return bad(
      `${freeGib.toFixed(1)} GiB free beside the checkout; about ${MIN_FREE_GIB} GiB are needed`,
      'free some disk space',
    );
  return good(`${freeGib.toFixed(0)} GiB free`);
}

/** @type {Check[]} */
const CHECKS = [
  { name: 'node', for: EVERY_SUITE, run: checkNode },
  { name: 'python', for: PYTHON_USERS, run: checkPython },
  { name: 'java', for: [...EMULATED, 'deploy'], run: checkJava },
  { name: 'maven', for: [...EMULATED, 'deploy'], run: checkMaven },
  { name: 'curl', for: [...EMULATED, 'deploy'], run: checkCurl },
  { name: 'chromium', for: ['integration'], run: checkChromium },
  {
    name: 'localstack port',
    for: EMULATED,
    run: portCheck('LocalStack', 'LOCALSTACK_PORT', 4566, isLocalStack),
  },
  {
    name: 'dynamodb port',
    for: EMULATED,
    run: portCheck('DynamoDB Local', 'DYNAMODB_LOCAL_PORT', 4569, isDynamoDbLocal),
  },
  {
    name: 'deploy emulator port',
    for: ['deploy'],
    run: portCheck('the deploy emulator (LocalStack)', 'CLOUD_EMULATOR_PORT', 4599, isLocalStack),
  },
  {
    name: 'api port',
    for: ['start'],
    warnOnly: true,
    run: portCheck('`npm start`', 'PORT', 3000, async () => false),
  },
  { name: 'disk', for: EVERY_SUITE, run: checkDisk },
];

async function main() {
  const args = process.argv.slice(2);
  const forIndex = args.indexOf('--for');
  const suite = forIndex >= 0 ? args[forIndex + 1] : undefined;
  const quiet = args.includes('--quiet');
  if (suite !== undefined && !EVERY_SUITE.includes(suite)) {
    console.error(`doctor: --for must be one of ${EVERY_SUITE.join(', ')}; got ${suite}`);
    process.exit(2);
  }
  const checks = CHECKS.filter((check) => suite === undefined || check.for.includes(suite));
  const verdicts = await Promise.all(checks.map(async (check) => ({ check, verdict: await check.run() })));
  const failed = verdicts.filter(({ check, verdict }) => !verdict.ok && !check.warnOnly);
  for (const { check, verdict } of verdicts) {
    if (verdict.ok) {
      if (!quiet) console.log(`  ok    ${verdict.found}`);
    } else {
      const mark = check.warnOnly ? 'warn' : 'MISS';
      console.log(`  ${mark}  ${verdict.problem}\n        how: ${verdict.fix}`);
    }
  }
  if (failed.length > 0) {
    console.log(
      `doctor: ${failed.length} of ${checks.length} prerequisites missing${suite ? ` for ${suite}` : ''}; see "how" above`,
    );
    process.exit(1);
  }
  if (!quiet) console.log(`doctor: all ${checks.length} prerequisites present${suite ? ` for ${suite}` : ''}`);
}

await main();
