/* The worker's seccomp system-call allow-list. */
#ifndef PQCONNECT_SECCOMP_H
#define PQCONNECT_SECCOMP_H
#include <node_api.h>

/* Defines this feature's exports on `exports`. */
napi_status seccomp_register(napi_env env, napi_value exports);

#endif
