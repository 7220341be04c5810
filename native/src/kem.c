/*
 * KEM operations backed by the system libmceliece and libntruprime.
 *
 * The libraries are opened with dlopen when first needed, so the addon builds and
 * loads on machines without them (kemAvailable() then reports false and the
 * TypeScript side falls back to the WASM backend). Every operation runs on the libuv
 * thread pool and resolves a promise, so a 0.1 ms McEliece decapsulation or a 190 ms
 * key generation never blocks the event loop.
 *
 * JS API (all buffers are Uint8Array of the exact sizes, checked here):
 *   kemAvailable(): { mceliece6960119: boolean, sntrup761: boolean }
 *   kemKeypair(alg, pk, sk): Promise<void>          fills pk and sk
 *   kemEnc(alg, ct, ss, pk): Promise<number>        fills ct and ss, resolves to rc
 *   kemDec(alg, ss, ct, sk): Promise<number>        fills ss, resolves to rc (0 = ok)
 * alg: 0 = mceliece6960119, 1 = sntrup761.
 */
#include "kem.h"
#include "check.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef void (*keypair_fn)(unsigned char *, unsigned char *);
typedef int (*enc_int_fn)(unsigned char *, unsigned char *, const unsigned char *);
typedef void (*enc_void_fn)(unsigned char *, unsigned char *, const unsigned char *);
typedef int (*dec_int_fn)(unsigned char *, const unsigned char *, const unsigned char *);
typedef void (*dec_void_fn)(unsigned char *, const unsigned char *, const unsigned char *);

typedef struct {
  const char *library;
  const char *keypair_symbol;
  const char *enc_symbol;
  const char *dec_symbol;
  size_t pk_bytes, sk_bytes, ct_bytes, ss_bytes;
  int returns_status; /* libmceliece enc/dec return int; libntruprime's return void */
  int tried;
  keypair_fn keypair;
  void *enc;
  void *dec;
} kem_algorithm;

static kem_algorithm algorithms[2] = {
  {"libmceliece.so.1", "mceliece_kem_6960119_keypair", "mceliece_kem_6960119_enc",
   "mceliece_kem_6960119_dec", 1047319, 13948, 194, 32, 1, 0, NULL, NULL, NULL},
  {"libntruprime.so.1", "ntruprime_kem_sntrup761_keypair", "ntruprime_kem_sntrup761_enc",
   "ntruprime_kem_sntrup761_dec", 1158, 1763, 1039, 32, 0, 0, NULL, NULL, NULL},
};

static int algorithm_load(kem_algorithm *a) {
  if (a->tried) return a->keypair != NULL;
  a->tried = 1;
  void *handle = dlopen(a->library, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) return 0;
  keypair_fn kp = (keypair_fn)dlsym(handle, a->keypair_symbol);
  void *enc = dlsym(handle, a->enc_symbol);
  void *dec = dlsym(handle, a->dec_symbol);
  if (kp == NULL || enc == NULL || dec == NULL) {
    dlclose(handle);
    return 0;
  }
  a->keypair = kp;
  a->enc = enc;
  a->dec = dec;
  return 1;
}

typedef enum { OP_KEYPAIR, OP_ENC, OP_DEC } kem_op;

typedef struct {
  kem_op op;
  kem_algorithm *algorithm;
  unsigned char *out1, *out2;
  const unsigned char *in;
  const unsigned char *key;
  napi_ref refs[3];
  int ref_count;
  int status;
  napi_deferred deferred;
  napi_async_work work;
} kem_job;

static int call_enc(kem_algorithm *a, unsigned char *ct, unsigned char *ss,
                    const unsigned char *pk) {
  if (a->returns_status) return ((enc_int_fn)a->enc)(ct, ss, pk);
  ((enc_void_fn)a->enc)(ct, ss, pk);
  return 0;
}

static int call_dec(kem_algorithm *a, unsigned char *ss, const unsigned char *ct,
                    const unsigned char *sk) {
  if (a->returns_status) return ((dec_int_fn)a->dec)(ss, ct, sk);
  ((dec_void_fn)a->dec)(ss, ct, sk);
  return 0;
}

static void job_execute(napi_env env, void *data) {
  (void)env;
  kem_job *job = data;
  kem_algorithm *a = job->algorithm;
  switch (job->op) {
    case OP_KEYPAIR:
      a->keypair(job->out1, job->out2);
      job->status = 0;
      break;
    case OP_ENC:
      job->status = call_enc(a, job->out1, job->out2, job->in);
      break;
    case OP_DEC:
      job->status = call_dec(a, job->out1, job->in, job->key);
      break;
  }
}

static void job_complete(napi_env env, napi_status status, void *data) {
  kem_job *job = data;
  napi_value result;
  for (int i = 0; i < job->ref_count; i++) napi_delete_reference(env, job->refs[i]);
  job->ref_count = 0;
  if (status != napi_ok) {
    napi_value message, error;
    napi_create_string_utf8(env, "KEM job cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_create_int32(env, job->status, &result);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static int throw_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return 0;
}

static int buffer_arg(napi_env env, napi_value value, size_t expected, unsigned char **data,
                      const char *what) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return throw_error(env, what);
  napi_typedarray_type type;
  size_t length;
  void *raw;
  if (napi_get_typedarray_info(env, value, &type, &length, &raw, NULL, NULL) != napi_ok)
    return throw_error(env, what);
  if (type != napi_uint8_array || length != expected) return throw_error(env, what);
  *data = raw;
  return 1;
}

static kem_algorithm *algorithm_arg(napi_env env, napi_value value) {
  int32_t index = -1;
  if (napi_get_value_int32(env, value, &index) != napi_ok || index < 0 || index > 1) {
    throw_error(env, "unknown KEM algorithm");
    return NULL;
  }
  kem_algorithm *a = &algorithms[index];
  if (!algorithm_load(a)) {
    throw_error(env, "KEM library not available");
    return NULL;
  }
  return a;
}

/* Releases the buffer references a job holds. */
static void job_unref(napi_env env, kem_job *job) {
  for (int i = 0; i < job->ref_count; i++) napi_delete_reference(env, job->refs[i]);
  job->ref_count = 0;
}

/* Queues the job on the libuv pool; its promise settles in job_complete, or is rejected
 * here at once if the work cannot be created or queued (never a promise left pending). */
static napi_value queue_job(napi_env env, kem_job *job, napi_value *buffers, int count) {
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    free(job);
    throw_error(env, "cannot create a promise");
    return NULL;
  }
  for (int i = 0; i < count; i++) {
    if (napi_create_reference(env, buffers[i], 1, &job->refs[i]) != napi_ok) break;
    job->ref_count = i + 1;
  }
  int queued = job->ref_count == count &&
               napi_create_string_utf8(env, "pqconnect-kem", NAPI_AUTO_LENGTH, &name) == napi_ok &&
               napi_create_async_work(env, NULL, name, job_execute, job_complete, job, &job->work) == napi_ok;
  if (queued && napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    queued = 0;
  }
  if (!queued) {
    napi_value message, error;
    job_unref(env, job);
    if (napi_create_string_utf8(env, "KEM work could not be queued", NAPI_AUTO_LENGTH, &message) == napi_ok &&
        napi_create_error(env, NULL, message, &error) == napi_ok)
      napi_reject_deferred(env, job->deferred, error);
    free(job);
  }
  return promise;
}

static napi_value kem_job_start(napi_env env, napi_callback_info info, kem_op op) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 && !(op == OP_KEYPAIR && argc >= 3)) {
    throw_error(env, "wrong number of arguments");
    return NULL;
  }
  kem_algorithm *a = algorithm_arg(env, argv[0]);
  if (a == NULL) return NULL;
  kem_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    throw_error(env, "out of memory");
    return NULL;
  }
  job->op = op;
  job->algorithm = a;
  unsigned char *in = NULL, *key = NULL;
  int ok = 0;
  switch (op) {
    case OP_KEYPAIR:
      ok = buffer_arg(env, argv[1], a->pk_bytes, &job->out1, "public key buffer has the wrong size") &&
           buffer_arg(env, argv[2], a->sk_bytes, &job->out2, "secret key buffer has the wrong size");
      break;
    case OP_ENC:
      ok = buffer_arg(env, argv[1], a->ct_bytes, &job->out1, "ciphertext buffer has the wrong size") &&
           buffer_arg(env, argv[2], a->ss_bytes, &job->out2, "shared secret buffer has the wrong size") &&
           buffer_arg(env, argv[3], a->pk_bytes, &in, "public key has the wrong size");
      break;
    case OP_DEC:
      ok = buffer_arg(env, argv[1], a->ss_bytes, &job->out1, "shared secret buffer has the wrong size") &&
           buffer_arg(env, argv[2], a->ct_bytes, &in, "ciphertext has the wrong size") &&
           buffer_arg(env, argv[3], a->sk_bytes, &key, "secret key has the wrong size");
      break;
  }
  if (!ok) {
    free(job);
    return NULL;
  }
  job->in = in;
  job->key = key;
  return queue_job(env, job, argv + 1, op == OP_KEYPAIR ? 2 : 3);
}

static napi_value kem_keypair(napi_env env, napi_callback_info info) {
  return kem_job_start(env, info, OP_KEYPAIR);
}
static napi_value kem_enc(napi_env env, napi_callback_info info) {
  return kem_job_start(env, info, OP_ENC);
}
static napi_value kem_dec(napi_env env, napi_callback_info info) {
  return kem_job_start(env, info, OP_DEC);
}

static napi_value kem_available(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, mceliece, ntruprime;
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_get_boolean(env, algorithm_load(&algorithms[0]), &mceliece));
  CHECK(env, napi_get_boolean(env, algorithm_load(&algorithms[1]), &ntruprime));
  CHECK(env, napi_set_named_property(env, result, "mceliece6960119", mceliece));
  CHECK(env, napi_set_named_property(env, result, "sntrup761", ntruprime));
  return result;
}

napi_status kem_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"kemAvailable", NULL, kem_available, NULL, NULL, NULL, napi_default, NULL},
    {"kemKeypair", NULL, kem_keypair, NULL, NULL, NULL, napi_default, NULL},
    {"kemEnc", NULL, kem_enc, NULL, NULL, NULL, napi_default, NULL},
    {"kemDec", NULL, kem_dec, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
