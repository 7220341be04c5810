// npm's install step: builds the native addon (native/, node-gyp with npm's own copy when
// npm runs this). The addon carries the fast crypto backend and the daemons' Linux I/O
// (TUN, UDP batches, NFQUEUE, seccomp); without it the engines still work with the
// portable backend, so a failed build is reported, with what to install, but does not
// fail the installation.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const gypScript = process.env.npm_config_node_gyp;
const [command, args] = gypScript
  ? [process.execPath, [gypScript, 'rebuild', '--directory', 'native']]
  : ['node-gyp', ['rebuild', '--directory', 'native']];
const build = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
if (build.status === 0) {
  console.log('pqconnect: native addon built (fast crypto backend and the daemons available)');
} else {
  const reason = build.error?.message ?? build.stderr.toString().trim().split('\n').slice(-3).join(' / ');
  console.warn(
    `pqconnect: the native addon did not build (${reason}).\n` +
      'pqconnect: the engines will use the portable crypto backend; the daemons need the addon.\n' +
      'pqconnect: on Debian: apt install build-essential python3 libnetfilter-queue-dev ' +
      'libseccomp-dev (and libmceliece1 libntruprime1 for the fast backend), then npm rebuild pqconnect',
  );
}
