/*
 * The worker's system-call allow-list, installed with libseccomp before it parses any
 * network input. A running worker only computes, waits on its event loop, reads and
 * writes the descriptors root passed it, and may still load a library or module
 * read-only. Everything else (execve, fork, new sockets, bind/connect, opening a file
 * for writing, ptrace, mount, io_uring, signals to other processes, ...) fails with
 * EPERM. The filter covers every thread of the process (TSYNC); threads may still be
 * created (clone with CLONE_THREAD; clone3 answers ENOSYS so libc falls back to clone,
 * whose flags a filter can see).
 *
 * JS API:
 *   confineSyscalls(): number   installs the filter, returns how many system calls it
 *                               allows (some only with the arguments listed below);
 *                               throws if libseccomp or the kernel refuses
 */
#include "seccomp.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "check.h"

/* Allowed with any arguments. Names unknown on this architecture are skipped. */
static const char *const unconditional[] = {
  /* memory (V8's heap and JIT, malloc, sodium's guarded pages) */
  "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mlock", "munlock",
  /* threads and waiting */
  "futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity", "membarrier",
  "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday",
  "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
  "pipe2", "uname", "capget", "getcwd",
  /* the passed descriptors: channel, TUN, UDP, stderr */
  "read", "readv", "write", "writev", "pread64", "recvfrom", "recvmsg", "recvmmsg", "sendto",
  "sendmsg", "sendmmsg", "shutdown", "close", "fcntl", "getsockname", "getsockopt", "lseek",
  /* loading a library or module read-only (see open and openat below) */
  "fstat", "newfstatat", "statx", "readlink", "readlinkat", "access", "faccessat", "faccessat2",
  "getdents64",
  /* identity, randomness, accounting */
  "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getrandom", "getrusage",
  /* signals within this process, and exit */
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "restart_syscall", "exit",
  "exit_group",
};

/* The ioctl requests Node and libuv issue on descriptors they already hold. */
static const unsigned long ioctl_requests[] = {FIONBIO, FIOCLEX, FIONCLEX, FIONREAD, TCGETS};

/* Open flags that would create or change a file: refused in open and openat. */
#define WRITE_FLAGS (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)

static int add_rules(scmp_filter_ctx filter, int *allowed) {
  int rc;
  for (size_t i = 0; i < sizeof unconditional / sizeof unconditional[0]; i++) {
    int number = seccomp_syscall_resolve_name(unconditional[i]);
    if (number == __NR_SCMP_ERROR) continue;
    if ((rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, number, 0)) < 0) return rc;
    (*allowed)++;
  }
  for (size_t i = 0; i < sizeof ioctl_requests / sizeof ioctl_requests[0]; i++)
    if ((rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                               SCMP_A1(SCMP_CMP_EQ, ioctl_requests[i]))) < 0)
      return rc;
  if ((rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, WRITE_FLAGS, O_RDONLY))) < 0 ||
      (rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                             SCMP_A1(SCMP_CMP_MASKED_EQ, WRITE_FLAGS, O_RDONLY))) < 0 ||
      (rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD))) < 0 ||
      (rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0 ||
      (rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                             SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME))) < 0 ||
      (rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                             SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME))) < 0 ||
      (rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()))) < 0)
    return rc;
  *allowed += 6; /* ioctl, openat, open, clone, prctl and tgkill with the conditions above */
  return 0;
}

static napi_value confine_syscalls(napi_env env, napi_callback_info info) {
  (void)info;
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (filter == NULL) {
    napi_throw_error(env, NULL, "seccomp_init failed");
    return NULL;
  }
  int allowed = 0;
  int rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc == 0) rc = add_rules(filter, &allowed);
  if (rc == 0) rc = seccomp_load(filter);
  seccomp_release(filter);
  if (rc != 0) {
    char message[128];
    snprintf(message, sizeof message, "seccomp filter refused: %s", strerror(-rc));
    napi_throw_error(env, NULL, message);
    return NULL;
  }
  napi_value result;
  CHECK(env, napi_create_int32(env, allowed, &result));
  return result;
}

napi_status seccomp_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"confineSyscalls", NULL, confine_syscalls, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
