/**
 * The Debian package as an admin gets it (root; the CI machine is disposable): `npm run
 * package:deb`, `dpkg -i`, every command's --version from /, `man` renders each page,
 * `systemd-analyze verify` of the installed units, then the installed daemons — started
 * from / exactly as the units' ExecStart says, under the units' capability bounding set
 * and no_new_privs (setpriv), with keys from the installed keygen — carry HTTP through a
 * tunnel between namespaces; finally `dpkg -r` leaves none of the package's files behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import {
  createServerKeys,
  startClientDaemon,
  startDns,
  startServerDaemon,
  startWebServer,
} from '../../demo/scenario.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOOLS = ['pqconnect', 'pqconnect-server', 'pqconnect-keygen', 'pqconnect-server-check'];
const UNITS = { client: 'pqconnect.service', server: 'pqconnect-server.service' };
const AS_ROOT = process.getuid?.() === 0;

function run(
  command: string,
  args: string[],
  cwd = '/',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, timeout: 300_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

async function unitDirective(unit: string, key: string): Promise<string> {
  const text = await readFile(`/usr/lib/systemd/system/${unit}`, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${key}=`));
  assert.ok(line, `${unit} has no ${key}=`);
  return line.slice(key.length + 1);
}

/** The unit's ExecStart, run from / under its CapabilityBoundingSet and NoNewPrivileges. */
async function asTheUnitRunsIt(unit: string): Promise<string[]> {
  const caps = (await unitDirective(unit, 'CapabilityBoundingSet'))
    .split(/\s+/)
    .map((cap) => `+${cap.replace(/^CAP_/, '').toLowerCase()}`);
  assert.equal(await unitDirective(unit, 'NoNewPrivileges'), 'yes');
  const execStart = (await unitDirective(unit, 'ExecStart')).split(/\s+/);
  return [
    'env',
    '-C',
    '/',
    'setpriv',
    `--bounding-set=-all,${caps.join(',')}`,
    '--inh-caps=-all',
    '--no-new-privs',
    ...execStart,
  ];
}

describe('Debian package', {
  skip: AS_ROOT ? false : 'needs root (dpkg -i, namespaces)',
}, () => {
  let deb: string;
  let files: string[];
  before(async () => {
    const built = await run('npm', ['run', '--silent', 'package:deb'], ROOT);
    assert.equal(built.code, 0, built.stderr);
    deb = `${ROOT}${built.stdout.trim().split('\n').at(-1)!}`;
    const installed = await run('dpkg', ['-i', deb]);
    assert.equal(installed.code, 0, installed.stderr);
    files = (await run('dpkg', ['-L', 'pqconnect'])).stdout.trim().split('\n');
  });
  after(async () => {
    if (existsSync('/usr/lib/pqconnect')) await run('dpkg', ['-r', 'pqconnect']);
  });

  it('is named pqconnect_<version>_<arch>.deb and depends on the libraries it loads', async () => {
    const version = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')).version as string;
    const arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
    assert.ok(deb.endsWith(`build/pqconnect_${version}_${arch}.deb`), deb);
    const depends = (await run('dpkg-deb', ['-f', deb, 'Depends'])).stdout;
    for (const library of [
      'nodejs (>= 20)',
      'libmceliece1',
      'libntruprime1',
      'libnetfilter-queue1',
    ])
      assert.ok(depends.includes(library), depends);
    assert.ok(files.includes('/usr/lib/pqconnect/dist/cli/pqconnect.js'));
    assert.ok(files.includes('/usr/lib/pqconnect/native/build/Release/pqconnect_native.node'));
  });

  it('installs every command in /usr/bin, answering --version from /', async () => {
    for (const tool of TOOLS) {
      const result = await run(`/usr/bin/${tool}`, ['--version']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^${tool} \\d+\\.\\d+\\.\\d+`));
    }
  });

  it('installs the protocol document, which the installed viz carries, and checks the charts', async () => {
    assert.ok(files.includes('/usr/share/doc/pqconnect/protocol.md'));
    const check = await run('/usr/bin/pqconnect', ['viz', '--check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /properties, all hold/);
    const out = tempDir('deb-viz');
    const written = await run('/usr/bin/pqconnect', ['viz', '--out', out]);
    assert.equal(written.code, 0, written.stderr);
    const page = await readFile(`${out}/index.html`, 'utf8');
    assert.ok(page.includes('<a id="s5"></a>'), 'the page carries docs/protocol.md');
    assert.ok(existsSync(`${out}/clientSession.scxml`));
  });

  it('has a man page for every command that man renders', async () => {
    for (const tool of TOOLS) {
      const page = await run('man', ['-P', 'cat', tool]);
      assert.equal(page.code, 0, `${tool}: ${page.stderr}`);
      assert.match(page.stdout, new RegExp(`${tool.toUpperCase()}\\(8\\)`));
      assert.match(page.stdout, /OPTIONS|DESCRIPTION/);
    }
  });

  it('installs units that systemd-analyze verifies, starting the installed commands', async () => {
    const paths = Object.values(UNITS).map((unit) => `/usr/lib/systemd/system/${unit}`);
    const verify = await run('systemd-analyze', ['verify', ...paths]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(
      await unitDirective(UNITS.client, 'ExecStart'),
      '/usr/lib/pqconnect/bin/pqconnect',
    );
    assert.equal(await unitDirective(UNITS.client, 'RuntimeDirectory'), 'pqconnect');
    assert.match(
      (await run('getent', ['passwd', 'pqconnect'])).stdout,
      /^pqconnect:.*:\/usr\/sbin\/nologin$/m,
    );
  });

  describe('the installed daemons as the units start them', () => {
    let lab: Lab;
    before(async () => {
      lab = await createLab('pqd');
      const scenario = await createServerKeys(lab, { keygen: '/usr/bin/pqconnect-keygen' });
      await startDns(lab, scenario);
      await startWebServer(lab);
      await startServerDaemon(lab, scenario, [], await asTheUnitRunsIt(UNITS.server));
      await startClientDaemon(lab, [], await asTheUnitRunsIt(UNITS.client));
    });
    after(() => lab?.destroy());

    it('carry HTTP by name through the tunnel', async () => {
      const page = await lab.run(
        lab.client,
        'curl',
        ['-sS', '-m', '20', 'http://www.demo.test/'],
        30_000,
      );
      assert.equal(page.code, 0, page.stderr);
      assert.match(page.stdout, /hello from the PQConnect demo server/);
      const workers = await lab.run(lab.client, 'pgrep', [
        '-f',
        '/usr/lib/pqconnect/dist/cli/worker.js',
      ]);
      assert.equal(workers.code, 0, 'the worker runs from the installed tree');
    });

    it('stop cleanly on SIGTERM', async () => {
      await lab.run(lab.client, 'pkill', ['-TERM', '-f', '/usr/lib/pqconnect/bin/pqconnect( |$)']);
      await waitFor('the installed client to stop', async () =>
        lab.logs('client').includes('stopped; rules and devices removed'),
      );
    });
  });

  it('dpkg -r removes every file it installed', async () => {
    const removed = await run('dpkg', ['-r', 'pqconnect']);
    assert.equal(removed.code, 0, removed.stderr);
    const left = files.filter((path) => path.includes('pqconnect') && existsSync(path));
    assert.deepEqual(left, []);
    assert.equal(existsSync('/usr/lib/pqconnect'), false);
  });
});
