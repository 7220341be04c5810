{
  "targets": [
    {
      "target_name": "pqconnect_native",
      "sources": ["src/addon.c", "src/kem.c", "src/poller.c", "src/tun.c", "src/offload.c", "src/nfqueue.c", "src/udp.c", "src/process.c", "src/seccomp.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=c11", "-D_GNU_SOURCE"],
      "libraries": ["-ldl", "-lnetfilter_queue", "-lseccomp"]
    }
  ]
}
