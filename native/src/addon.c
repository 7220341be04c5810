/* Entry point of the native addon: registers each feature's exports on one module. */
#include <node_api.h>
#include "kem.h"
#include "nfqueue.h"
#include "process.h"
#include "seccomp.h"
#include "tun.h"
#include "udp.h"

static napi_value init(napi_env env, napi_value exports) {
  if (kem_register(env, exports) != napi_ok || tun_register(env, exports) != napi_ok ||
      nfqueue_register(env, exports) != napi_ok || udp_register(env, exports) != napi_ok ||
      process_register(env, exports) != napi_ok || seccomp_register(env, exports) != napi_ok) {
    napi_throw_error(env, NULL, "pqconnect native addon: defining its exports failed");
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
