/**
 * Where a daemon's control socket lives: the run directory (/run/pqconnect, systemd's
 * RuntimeDirectory, unless `--run-dir` names another) and the socket's name in it. Kept
 * apart from the socket code so command-line parsing loads nothing else.
 */

export const DEFAULT_RUN_DIR = '/run/pqconnect';

export function controlSocketPath(role: 'client' | 'server', runDir = DEFAULT_RUN_DIR): string {
  return `${runDir}/${role}.sock`;
}
