/**
 * The npm package as a user gets it: `npm pack` of this checkout, installed into an empty
 * directory, then the README's engine example (extracted from README.md, so the two
 * cannot drift) run there with plain node — with the native addon the install step
 * built, and again with the addon unavailable (the portable backend) — type-checked
 * against the package's declarations, and the installed bin answering.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MARKER = '<!-- engine-example:';

function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

/** The code block right after the marker comment in README.md. */
function readmeExample(readme: string): string {
  const marker = readme.indexOf(MARKER);
  assert.ok(marker >= 0, 'README.md has no engine-example marker');
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(marker));
  assert.ok(match, 'no ```js block after the engine-example marker');
  return match[1]!;
}

describe('npm package', () => {
  let dir: string;
  let app: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pqconnect-pack-'));
    app = join(dir, 'app');
    const packed = await run('npm', ['pack', '--silent', '--pack-destination', dir], ROOT);
    assert.equal(packed.code, 0, packed.stderr);
    const tarball = join(dir, packed.stdout.trim().split('\n').at(-1)!);
    await run('mkdir', [app], dir);
    await writeFile(
      join(app, 'package.json'),
      '{ "name": "app", "private": true, "type": "module" }\n',
    );
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball],
      app,
    );
    assert.equal(installed.code, 0, installed.stderr);
    await writeFile(
      join(app, 'example.mjs'),
      readmeExample(await readFile(join(ROOT, 'README.md'), 'utf8')),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ships the compiled tree, declarations and bin, not the sources or tests', async () => {
    const listed = await run('npm', ['pack', '--dry-run', '--json'], ROOT);
    const files = (JSON.parse(listed.stdout) as [{ files: { path: string }[] }])[0].files.map(
      (f) => f.path,
    );
    assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'));
    assert.ok(files.includes('bin/pqconnect') && files.includes('native/binding.gyp'));
    assert.ok(files.includes('docs/protocol.md'), 'the protocol document the charts cite');
    assert.deepEqual(
      files.filter((f) => /^(src|test|bench|demo)\//.test(f) || f.endsWith('.map')),
      [],
    );
  });

  it("runs the README's engine example with the addon built at install (fast backend)", async () => {
    const result = await run(process.execPath, ['example.mjs'], app);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /crypto backend: fast/);
    assert.match(result.stdout, /says "echo: hello through the tunnel"/);
  });

  it('runs it with the portable backend when the addon is unavailable', async () => {
    const result = await run(process.execPath, ['example.mjs'], app, {
      PQCONNECT_NATIVE_ADDON: join(dir, 'no-such-addon.node'),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /crypto backend: portable/);
    assert.match(result.stdout, /says "echo: hello through the tunnel"/);
  });

  it("type-checks the example against the package's declarations", async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          allowJs: true,
          checkJs: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: true,
          types: [],
        },
        files: ['example.mjs'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('installs the commands: node_modules/.bin/pqconnect --version', async () => {
    const result = await run(join(app, 'node_modules/.bin/pqconnect'), ['--version'], '/');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^pqconnect 0\.\d+\.\d+/);
  });
});
