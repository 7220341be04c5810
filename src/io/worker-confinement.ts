/**
 * What the worker does to itself before it parses anything (setpriv already gave it no
 * capabilities and no_new_privs): no core dumps and no same-user ptrace or memory reads,
 * then the seccomp allow-list, after which execve, fork, new sockets, bind/connect and
 * opening files for writing fail with EPERM in every thread.
 */
import { nativeIo } from './native-io.ts';

/** Confines this process for good; returns the allow-list's size. Throws if it cannot. */
export function confineWorker(): number {
  const io = nativeIo();
  if (!io.setNotDumpable()) throw new Error('the kernel refused PR_SET_DUMPABLE');
  return io.confineSyscalls();
}
