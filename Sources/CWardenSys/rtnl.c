// rtnetlink plumbing shared by the egress helper's route and rule requests.
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
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
