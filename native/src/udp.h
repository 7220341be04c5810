/* UDP sockets as plain file descriptors (bound by root, used by the worker). */
#ifndef PQCONNECT_UDP_H
#define PQCONNECT_UDP_H
#include <node_api.h>

void udp_register(napi_env env, napi_value exports);

#endif
