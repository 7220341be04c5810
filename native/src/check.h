/* N-API status checks for the addon's JS entry points. */
#ifndef PQCONNECT_CHECK_H
#define PQCONNECT_CHECK_H
#include <node_api.h>
#include <unistd.h>

/* In a function returning napi_value: on failure, throw and return NULL. */
#define CHECK(env, call)                                                    \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error((env), NULL, "N-API call failed: " #call);           \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

/* As CHECK, closing the descriptor `fd` first: nobody else would ever close it. */
#define CHECK_OR_CLOSE(env, call, fd)                                       \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      close(fd);                                                            \
      napi_throw_error((env), NULL, "N-API call failed: " #call);           \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

#endif
