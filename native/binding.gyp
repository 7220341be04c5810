{
  "targets": [
    {
      "target_name": "pqconnect_native",
      "sources": ["src/addon.c", "src/kem.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=c11", "-D_GNU_SOURCE"],
      "libraries": ["-ldl"]
    }
  ]
}
