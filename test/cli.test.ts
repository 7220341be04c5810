/**
 * The command-line tools as installed: bin/ running the compiled dist/ with plain node
 * (npm test builds it first), from /. --help, --version, one-line errors with exit
 * status 2, keygen's checks, and the root parts' V8 flags.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ROOT_NODE_FLAGS, workerExecArgv } from '../src/io/node-flags.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOLS = ['pqconnect', 'pqconnect-server', 'pqconnect-keygen', 'pqconnect-server-check'];

function tool(
  name: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(ROOT, 'bin', name),
      args,
      { cwd: '/', env: { PATH: '/usr/bin:/bin' } },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

describe('command-line tools', () => {
  it('bin/* run dist/ with plain node, the root parts with ROOT_NODE_FLAGS', async () => {
    for (const name of TOOLS) {
      const script = await readFile(join(ROOT, 'bin', name), 'utf8');
      assert.match(script, new RegExp(`import '../dist/cli/${name}.js';`));
      assert.doesNotMatch(script, /tsx/);
      const daemon = name === 'pqconnect' || name === 'pqconnect-server';
      const shebang = script.split('\n')[0];
      assert.equal(
        shebang,
        daemon ? `#!/usr/bin/env -S node ${ROOT_NODE_FLAGS.join(' ')}` : '#!/usr/bin/env node',
      );
    }
    assert.deepEqual(workerExecArgv(['--import', 'x', ...ROOT_NODE_FLAGS]), ['--import', 'x']);
  });

  for (const name of TOOLS) {
    it(`${name} --help and --version`, async () => {
      const help = await tool(name, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: /);
      const version = await tool(name, ['--version']);
      assert.equal(version.code, 0);
      assert.match(version.stdout, new RegExp(`^${name} \\d+\\.\\d+\\.\\d+`));
    });
  }

  const bad: [string, string[], RegExp][] = [
    ['pqconnect', ['--bogus'], /Unknown option '--bogus'/],
    ['pqconnect', ['-p', '99999'], /--port: not a port number: 99999/],
    ['pqconnect', ['-m', '30'], /--mask: prefix length must be 8\.\.24: 30/],
    ['pqconnect', ['--mtu', '100'], /--mtu: MTU must be 576\.\.8916: 100/],
    ['pqconnect-server', ['--mtu', '1500x'], /--mtu: MTU must be 576\.\.8916: 1500x/],
    ['pqconnect-server', ['--offload', 'maybe'], /--offload: must be one of auto, off: maybe/],
    ['pqconnect', ['-H', '10.0.0'], /--host-ip: not an IPv4 address: 10\.0\.0/],
    ['pqconnect-server', ['-a', '300.1.1.1'], /--addr: not an IPv4 address: 300\.1\.1\.1/],
    ['pqconnect-server', ['-i', 'a name with spaces'], /invalid interface name/],
    ['pqconnect-keygen', ['--port', '0'], /--port: not a port number: 0/],
    ['pqconnect-server', ['--listen', '10.90.0'], /--listen: not an IPv4 address: 10\.90\.0/],
    ['pqconnect-server', ['--instance', 'a b'], /--instance: letters, digits.*: a b/],
    [
      'pqconnect-server-check',
      ['--local', '10.90.0.1', 'www.example.org'],
      /--local: give one IPv4 address and no HOSTNAME/,
    ],
    [
      'pqconnect-server-check',
      ['--every', '1', 'www.example.org'],
      /--every: only with --local: 1/,
    ],
    [
      'pqconnect-server-check',
      ['--local', '10.90.0.1', '--every', '0.01'],
      /--every: seconds must be in \[0\.1, 3600\]: 0\.01/,
    ],
    [
      'pqconnect-server',
      ['-a', '10.42.0.0'],
      /--addr: 10\.42\.0\.0 is the network address of its \/16; give a host address such as 10\.42\.0\.1/,
    ],
    [
      'pqconnect',
      ['-a', '10.43.255.255'],
      /--addr: 10\.43\.255\.255 is the broadcast address of its \/16/,
    ],
    [
      'pqconnect',
      ['-a', '10.43.1.0', '-m', '24'],
      /--addr: 10\.43\.1\.0 is the network address of its \/24/,
    ],
    [
      'pqconnect',
      ['-a', '255.255.255.255'],
      /--addr: 255\.255\.255\.255 is a multicast, reserved or broadcast address/,
    ],
    ['pqconnect', ['-a', '127.0.0.1'], /--addr: 127\.0\.0\.1 is a loopback/],
    [
      'pqconnect-server',
      ['-a', '169.254.169.254'],
      /--addr: 169\.254\.169\.254 is a link-local address/,
    ],
    ['pqconnect', ['--queue', '70000'], /--queue: not a queue number \(0\.\.65535\): 70000/],
    ['pqconnect-server-check', [], /HOSTNAME: give exactly one host name: \(none\)/],
    ['pqconnect-server-check', ['a.example', 'b.example'], /HOSTNAME: give exactly one host name/],
    ['pqconnect-server-check', ['--timeout', '0', 'a.example'], /--timeout: seconds must be in/],
    ['pqconnect', ['viz'], /give --out DIR \(static charts\), --live or --check/],
    [
      'pqconnect',
      ['--run-dir', 'relative/dir'],
      /--run-dir: must be an absolute directory path: "relative\/dir"/,
    ],
    [
      'pqconnect-server',
      ['--run-dir', '/tmp/a\nb'],
      /--run-dir: must be an absolute directory path: "\/tmp\/a\\nb"/,
    ],
    [
      'pqconnect',
      ['status', '--run-dir', 'x'],
      /--run-dir: must be an absolute directory path: "x"/,
    ],
    [
      'pqconnect',
      ['viz', '--live', '--role', 'router'],
      /--role: must be one of client, server: router/,
    ],
  ];
  for (const [name, args, message] of bad) {
    it(`${name} ${args.join(' ')}: one line naming the problem, exit 2`, async () => {
      const result = await tool(name, args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    });
  }

  it('pqconnect-keygen refuses to overwrite keys and prints DNS records', async () => {
    const dir = fileURLToPath(
      new URL(`../test-output/keygen-${process.pid}/keys`, import.meta.url),
    );
    const first = await tool('pqconnect-keygen', [
      '-d',
      dir,
      '--name',
      'www.example.org',
      '--address',
      '203.0.113.7',
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /www\.example\.org\. CNAME pq1[0-9b-z]{60}\.example\.org\.\npq1[0-9b-z]{60}\.example\.org\. A 203\.0\.113\.7/,
    );
    const again = await tool('pqconnect-keygen', ['-d', dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /keys already exist/);
    const records = await tool('pqconnect-keygen', [
      '-d',
      dir,
      '--dns-only',
      '--name',
      'www.example.org',
    ]);
    assert.equal(records.code, 0);
    assert.equal(records.stdout.split('\n')[0], first.stdout.split('\n')[0]);
  });

  it('pqconnect-keygen takes the deployed options and checks everything before writing', async () => {
    const base = fileURLToPath(
      new URL(`../test-output/keygen-parity-${process.pid}/`, import.meta.url),
    );
    const keys = join(base, 'keys');
    const config = join(base, 'etc');
    await rm(base, { recursive: true, force: true });
    const badName = await tool('pqconnect-keygen', ['-d', keys, '--name', 'localhost']);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /--name: need a host name with a domain/);
    await mkdir(config, { recursive: true });
    await writeFile(join(config, 'pqcport'), '624\n');
    const conflict = await tool('pqconnect-keygen', ['-d', keys, '-c', config, '-p', '625']);
    assert.equal(conflict.code, 2);
    assert.match(conflict.stderr, /--port: 625 differs from .*pqcport \(624\)/);
    await assert.rejects(stat(keys), 'nothing was written after a refused argument');

    const made = await tool('pqconnect-keygen', ['--directory', keys, '-c', config]);
    assert.equal(made.code, 0, made.stderr);
    const label = /pq1 label: (pq1[0-9b-z]+)/.exec(made.stdout)?.[1];
    assert.ok(label);
    assert.match(made.stdout, /SUBDOMAIN\.DOMAIN\. CNAME pq1[0-9b-z]+\.DOMAIN\./);
    assert.equal((await readFile(join(config, 'pqcport'), 'utf8')).trim(), '624');
    assert.equal((await readFile(join(config, 'keyport'), 'utf8')).trim(), '42425');
    const again = await tool('pqconnect-keygen', ['-D', '-d', keys, '-c', config]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`pq1 label: ${label}`));
    const defaultPorts = await tool('pqconnect-keygen', [
      '-D',
      '-d',
      keys,
      '-c',
      join(base, 'none'),
    ]);
    const withDefaults = /pq1 label: (\S+)/.exec(defaultPorts.stdout)?.[1] ?? '';
    assert.equal(withDefaults.slice(0, 55), label.slice(0, 55), 'same key hash');
    assert.notEqual(withDefaults, label, 'the crypto port from the config file is in the label');
    await rm(base, { recursive: true, force: true });
  });

  it('pqconnect viz --check states every property with its verdict and exits 0 when all hold', async () => {
    const result = await tool('pqconnect', ['viz', '--check']);
    assert.equal(result.code, 0, result.stdout);
    assert.match(
      result.stdout,
      /holds {2}clientSession: strict-never-falls-back\n {8}A strict session/,
    );
    assert.match(result.stdout, /pqconnect viz --check: \d+ properties, all hold\n$/);
    assert.doesNotMatch(result.stdout, /FAILS/);
  });

  it('pqconnect --show works after other options, as the deployed tool allows', async () => {
    const dir = fileURLToPath(new URL(`../test-output/no-daemon-${process.pid}`, import.meta.url));
    for (const args of [
      ['-v', '--show'],
      ['--show', '-vv'],
      ['--verbose', '--show'],
    ]) {
      const result = await tool('pqconnect', [...args, '--run-dir', dir]);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /cannot reach the daemon at .*client\.sock/);
    }
  });
});
