// rtnetlink plumbing shared by the egress helper's route and rule requests.
#define _GNU_SOURCE
#include <string.h>
#include <net/if.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/fib_rules.h>
#include "rtnl.h"

size_t wnet_rtnl_put(void *base, size_t len, int type, const void *value, size_t n) {
    struct rtattr *a = (struct rtattr *)((char *)base + NLMSG_ALIGN(len));
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(n);
    memcpy(RTA_DATA(a), value, n);
    return NLMSG_ALIGN(len) + RTA_ALIGN(a->rta_len);
}

int wnet_rtnl_request(void *req, size_t len) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    int rc = -1;
    if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) == (ssize_t)len) {
        unsigned char reply[512];
        ssize_t n = recv(fd, reply, sizeof(reply), 0);
        struct nlmsghdr *h = (struct nlmsghdr *)reply;
        if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR) {
            struct nlmsgerr *e = NLMSG_DATA(h);
            rc = e->error == 0 ? 0 : -1;
        }
    }
    close(fd);
    return rc;
}

int wnet_rtnl_default_route(int family, int table, int type, int scope, const unsigned char *prefsrc) {
    struct { struct nlmsghdr h; struct rtmsg r; unsigned char attrs[64]; } req;
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_type = RTM_NEWROUTE;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    req.h.nlmsg_seq = 1;
    req.r.rtm_family = (unsigned char)family;
    req.r.rtm_table = (unsigned char)table;
    req.r.rtm_protocol = RTPROT_STATIC;
    req.r.rtm_scope = (unsigned char)scope;
    req.r.rtm_type = (unsigned char)type;
    size_t len = NLMSG_LENGTH(sizeof(struct rtmsg));
    int oif = (int)if_nametoindex("lo");
    len = wnet_rtnl_put(&req, len, RTA_OIF, &oif, sizeof(oif));
    if (prefsrc) len = wnet_rtnl_put(&req, len, RTA_PREFSRC, prefsrc, family == AF_INET ? 4 : 16);
    req.h.nlmsg_len = (unsigned int)len;
    return wnet_rtnl_request(&req, len);
}

int wnet_rtnl_fwmark_rule(int family, unsigned int mark, unsigned int table) {
    struct { struct nlmsghdr h; struct fib_rule_hdr r; unsigned char attrs[64]; } req;
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_type = RTM_NEWRULE;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    req.h.nlmsg_seq = 1;
    req.r.family = (unsigned char)family;
    req.r.action = FR_ACT_TO_TBL;
    req.r.table = (unsigned char)table;
    size_t len = NLMSG_LENGTH(sizeof(struct fib_rule_hdr));
    unsigned int mask = 0xffffffffu;
    len = wnet_rtnl_put(&req, len, FRA_FWMARK, &mark, sizeof(mark));
    len = wnet_rtnl_put(&req, len, FRA_FWMASK, &mask, sizeof(mask));
    len = wnet_rtnl_put(&req, len, FRA_TABLE, &table, sizeof(table));
    req.h.nlmsg_len = (unsigned int)len;
    return wnet_rtnl_request(&req, len);
}
