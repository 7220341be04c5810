/* KEM bindings: Classic McEliece and Streamlined NTRU Prime from the system libraries. */
#ifndef PQCONNECT_KEM_H
#define PQCONNECT_KEM_H
#include <node_api.h>

/* Defines this feature's exports on `exports`. */
napi_status kem_register(napi_env env, napi_value exports);

#endif
