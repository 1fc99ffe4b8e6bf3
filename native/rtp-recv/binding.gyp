{
  "targets": [
    {
      "target_name": "rtp_recv",
      "sources": ["src/addon.c", "src/flv_relay.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter"],
      "libraries": ["-lpthread", "-lm"]
    }
  ]
}
