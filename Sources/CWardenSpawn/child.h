#ifndef WARDEN_SPAWN_CHILD_H
#define WARDEN_SPAWN_CHILD_H
#include "wardenspawn.h"
extern struct wsp_trace *wsp_trace_buf;
/// Benchmark stage stamp (no-op unless warden-bench-sandbox enabled tracing).
#define WSP_TS(point) do { if (wsp_trace_buf) wsp_trace_stamp(point); } while (0)
/// Entry point of the cloned child; never returns.
__attribute__((noreturn)) void wsp_child_main(const struct wsp_config *c, int syncfd, int errfd, int statusfd);
#endif
