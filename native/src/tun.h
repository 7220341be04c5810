/* TUN devices: open, read in batches on the event loop, write. */
#ifndef PQCONNECT_TUN_H
#define PQCONNECT_TUN_H
#include <node_api.h>

/* Defines this feature's exports on `exports`. */
napi_status tun_register(napi_env env, napi_value exports);

#endif
