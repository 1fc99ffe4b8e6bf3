{
  "targets": [
    {
      "target_name": "sip_udp",
      "sources": ["src/addon.c", "src/keepalive.c", "src/device-table.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"]
    }
  ]
}
