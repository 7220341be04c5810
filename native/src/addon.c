/* Entry point of the native addon: registers each feature's exports on one module. */
#include <node_api.h>
#include "kem.h"
#include "nfqueue.h"
#include "process.h"
#include "tun.h"
#include "udp.h"

static napi_value init(napi_env env, napi_value exports) {
  kem_register(env, exports);
  tun_register(env, exports);
  nfqueue_register(env, exports);
  udp_register(env, exports);
  process_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
