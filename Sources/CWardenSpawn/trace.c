// Benchmark-only stage stamps (warden-bench-sandbox --stages): a shared anonymous page that
// the parent, the sandbox child (init) and the program process (until its execve) all see,
// so each can record CLOCK_MONOTONIC at named points of one spawn. Off unless enabled: one
// predictable branch per stamp.
#include "syscalls.h"
#include "wardenspawn.h"

#include <sys/mman.h>
#include <time.h>

struct wsp_trace *wsp_trace_buf = NULL;

int wsp_trace_enable(void) {
    if (wsp_trace_buf) return 0;
    void *p = mmap(NULL, sizeof(struct wsp_trace), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -errno;
    wsp_trace_buf = p;
    return 0;
}

struct wsp_trace *wsp_trace_get(void) { return wsp_trace_buf; }

void wsp_trace_reset(void) {
    if (wsp_trace_buf) memset(wsp_trace_buf, 0, sizeof(*wsp_trace_buf));
}

uint64_t wsp_trace_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void wsp_trace_stamp(int point) {
    if (!wsp_trace_buf || point < 0 || point >= WSP_TRACE_POINTS) return;
    wsp_trace_buf->t[point] = wsp_trace_now();
}
