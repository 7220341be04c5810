/*
 * TUN devices for the daemon.
 *
 * JS API:
 *   tunOpen(name): { fd, name }        create/attach a TUN device (IFF_TUN|IFF_NO_PI),
 *                                      non-blocking and close-on-exec (spawning the
 *                                      worker with it in a stdio slot passes it on)
 *   tunRead(fd, callback): handle      call callback(packets: Buffer[]) with up to 256
 *                                      packets per wake-up, until tunStop(handle)
 *   tunStop(handle)
 *   tunWrite(fd, packet): boolean      false when the kernel queue is full (dropped);
 *                                      TypeError unless fd is a number and packet bytes
 *   closeFd(fd)
 */
#include "tun.h"
#include "poller.h"
#include "check.h"
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_PACKET 65536

static void throw_errno(napi_env env, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
}

static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ] = {0};
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "tunOpen(name): name must be a string");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, "open /dev/net/tun");
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    throw_errno(env, "TUNSETIFF");
    return NULL;
  }
  napi_value result, fd_value, name_value;
  CHECK_OR_CLOSE(env, napi_create_object(env, &result), fd);
  CHECK_OR_CLOSE(env, napi_create_int32(env, fd, &fd_value), fd);
  CHECK_OR_CLOSE(env, napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &name_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "fd", fd_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "name", name_value), fd);
  return result;
}

static napi_value tun_drain(napi_env env, poller *p) {
  unsigned char *buffer = p->data;
  napi_value batch;
  if (napi_create_array(env, &batch) != napi_ok) return NULL;
  uint32_t count = 0;
  while (count < MAX_BATCH) {
    ssize_t n = read(p->fd, buffer, MAX_PACKET);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      poller_fail(p); /* EIO, EBADF…: the device is gone; do not spin on it */
      break;
    }
    if (n <= 0) break;
    napi_value packet;
    void *data;
    if (napi_create_buffer_copy(env, (size_t)n, buffer, &data, &packet) != napi_ok ||
        napi_set_element(env, batch, count, packet) != napi_ok)
      break;
    count++;
  }
  return count > 0 ? batch : NULL;
}

static napi_value tun_read(napi_env env, napi_callback_info info) {
  return poller_js_start(env, info, sizeof(poller), MAX_PACKET, tun_drain, "pqconnect-tun",
                         "tunRead(fd, callback)");
}

static napi_value tun_stop(napi_env env, napi_callback_info info) {
  return poller_js_stop(env, info, "tunStop(handle)");
}

/* The bytes of a Uint8Array (or Buffer) argument; false (TypeError thrown) otherwise. */
static bool bytes_arg(napi_env env, napi_value value, void **data, size_t *length, const char *usage) {
  bool typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &typed) != napi_ok || !typed ||
      napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

static napi_value tun_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *data;
  size_t length;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "tunWrite(fd, packet)");
    return NULL;
  }
  if (!bytes_arg(env, argv[1], &data, &length, "tunWrite(fd, packet)")) return NULL;
  ssize_t n = write(fd, data, length);
  napi_value result;
  CHECK(env, napi_get_boolean(env, n == (ssize_t)length, &result));
  return result;
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "closeFd(fd)");
    return NULL;
  }
  close(fd);
  return NULL;
}

napi_status tun_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
    {"tunRead", NULL, tun_read, NULL, NULL, NULL, napi_default, NULL},
    {"tunStop", NULL, tun_stop, NULL, NULL, NULL, napi_default, NULL},
    {"tunWrite", NULL, tun_write, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
