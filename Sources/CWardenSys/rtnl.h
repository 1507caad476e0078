// rtnetlink requests for the egress helper (netns.c, udprelay.c): private to CWardenSys.
#ifndef WARDEN_RTNL_H
#define WARDEN_RTNL_H
#include <stddef.h>

/// Appends attribute `type` with `n` bytes of `value` after `len` bytes of the message at
/// `base`; returns the new length. The caller's buffer must have room.
size_t wnet_rtnl_put(void *base, size_t len, int type, const void *value, size_t n);

/// Sends one request (NLM_F_ACK set by the caller) on a fresh NETLINK_ROUTE socket and
/// waits for its acknowledgement: 0, or -1 when refused or unanswered.
int wnet_rtnl_request(void *req, size_t len);

/// RTM_NEWROUTE: a default route (0.0.0.0/0 or ::/0) of `type` (RTN_UNICAST, RTN_LOCAL) and
/// `scope` through `lo` in `table`, with `prefsrc` (4 or 16 bytes) as source when given. 0 or -1.
int wnet_rtnl_default_route(int family, int table, int type, int scope, const unsigned char *prefsrc);

/// RTM_NEWRULE: packets marked `mark` look up `table`. 0 or -1.
int wnet_rtnl_fwmark_rule(int family, unsigned int mark, unsigned int table);

#endif
