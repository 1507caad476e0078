#ifndef WARDEN_SPAWN_CHILD_H
#define WARDEN_SPAWN_CHILD_H
#include "wardenspawn.h"
/// Entry point of the cloned child; never returns.
__attribute__((noreturn)) void wsp_child_main(const struct wsp_config *c, int syncfd, int errfd, int statusfd);
#endif
