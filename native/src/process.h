/* Process hardening for the unprivileged worker. */
#ifndef PQCONNECT_PROCESS_H
#define PQCONNECT_PROCESS_H
#include <node_api.h>

/* Defines this feature's exports on `exports`. */
napi_status process_register(napi_env env, napi_value exports);

#endif
