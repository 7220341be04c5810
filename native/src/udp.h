/* UDP sockets as plain file descriptors (bound by root, used by the worker). */
#ifndef PQCONNECT_UDP_H
#define PQCONNECT_UDP_H
#include <node_api.h>

/* Defines this feature's exports on `exports`. */
napi_status udp_register(napi_env env, napi_value exports);

#endif
