/* NFQUEUE: packets diverted by an iptables rule, judged (and possibly rewritten) in JS. */
#ifndef PQCONNECT_NFQUEUE_H
#define PQCONNECT_NFQUEUE_H
#include <node_api.h>

/* Defines this feature's exports on `exports`. */
napi_status nfqueue_register(napi_env env, napi_value exports);

#endif
