/**
 * Running the system tools the privileged part needs (ip, iptables, useradd) with argument
 * vectors — never a shell — and an error that names the command when one fails.
 */
import { execFile } from 'node:child_process';

export class CommandError extends Error {}

export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new CommandError(`${command} ${args.join(' ')}: ${(stderr || error.message).trim()}`),
        );
      else resolve(stdout);
    });
  });
}

/** Runs a command whose failure is expected and harmless (cleanup of what may not exist). */
export async function runQuietly(command: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(command, args);
    return true;
  } catch {
    return false;
  }
}
