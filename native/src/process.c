/*
 * Process hardening Node has no API for, called by the worker before it parses anything.
 *
 * JS API:
 *   setNotDumpable(): boolean   PR_SET_DUMPABLE 0: no core dumps, and no other process of
 *                               the same user may ptrace it or read its memory
 */
#include "process.h"
#include <sys/prctl.h>

static napi_value set_not_dumpable(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_get_boolean(env, prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, &result) != napi_ok) return NULL;
  return result;
}

napi_status process_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"setNotDumpable", NULL, set_not_dumpable, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
