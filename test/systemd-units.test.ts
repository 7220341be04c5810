/**
 * The systemd units parse (systemd-analyze verify), keep the promised sandboxing, and
 * score an exposure of at most 3.0 in `systemd-analyze security`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/temp-dir.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const UNITS = readdirSync(join(ROOT, 'systemd')).filter((f) => f.endsWith('.service'));

function hasVerifier(): boolean {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('systemd units', () => {
  it('exist for the client and the server, with sandboxing and a capability bound', () => {
    assert.deepEqual(UNITS.sort(), ['pqconnect-server.service', 'pqconnect.service']);
    for (const unit of UNITS) {
      const text = readFileSync(join(ROOT, 'systemd', unit), 'utf8');
      for (const directive of [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'CapabilityBoundingSet=',
        'SystemCallFilter=@system-service',
        'RestrictAddressFamilies=',
        'RuntimeDirectory=pqconnect',
        // Shared by the client and the server unit: stopping one must not delete the
        // other's control socket.
        'RuntimeDirectoryPreserve=yes',
      ]) {
        assert.ok(text.includes(directive), `${unit}: ${directive}`);
      }
      assert.doesNotMatch(text, /CAP_SYS_ADMIN|AmbientCapabilities=CAP/);
    }
  });

  it('verify with systemd-analyze', {
    skip: hasVerifier() ? false : 'systemd-analyze is not installed',
  }, () => {
    const dir = tempDir('units');
    const paths = UNITS.map((unit) => {
      const path = join(dir, unit);
      writeFileSync(
        path,
        readFileSync(join(ROOT, 'systemd', unit), 'utf8').replaceAll(
          '@PREFIX@',
          ROOT.replace(/\/$/, ''),
        ),
      );
      return path;
    });
    const output = execFileSync('systemd-analyze', ['verify', ...paths], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning', MANPATH: join(ROOT, 'man') },
    });
    assert.equal(output.trim(), '');
    for (const path of paths) {
      const report = execFileSync('systemd-analyze', ['security', '--offline=true', path], {
        encoding: 'utf8',
        env: { ...process.env, SYSTEMD_COLORS: '0' },
      });
      const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(report)?.[1]);
      assert.ok(
        exposure <= 3.0,
        `${path}: exposure ${exposure} (was 3.4 before DevicePolicy, ProtectKernelTunables, PrivateMounts)`,
      );
    }
  });
});
