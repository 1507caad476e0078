// Refusals by the run's nftables ruleset, on the record (docs/NETWORK.md): the refusing rules
// also `log group WNET_NFLOG_GROUP`, and a netfilter-log socket bound to that group inside the
// run's namespace (created by the helper, which holds CAP_NET_ADMIN there) receives the first
// bytes of each refused packet. The supervisor drains it when the run ends.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include "wardennet.h"

/// One NFULNL_MSG_CONFIG request with an acknowledgement; 0 or -errno.
static int config(int fd, unsigned short type, const void *value, size_t n) {
    struct { struct nlmsghdr h; struct nfgenmsg g; unsigned char attrs[32]; } req;
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.h.nlmsg_seq = 1;
    req.g.nfgen_family = AF_UNSPEC;
    req.g.version = NFNETLINK_V0;
    req.g.res_id = htons(WNET_NFLOG_GROUP);
    struct nlattr *a = (struct nlattr *)req.attrs;
    a->nla_type = type;
    a->nla_len = (unsigned short)(NLA_HDRLEN + n);
    memcpy((unsigned char *)a + NLA_HDRLEN, value, n);
    size_t len = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct nfgenmsg))) + NLA_ALIGN(a->nla_len);
    req.h.nlmsg_len = (unsigned int)len;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, &req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)len) return -errno;
    unsigned char reply[512];
    ssize_t got = recv(fd, reply, sizeof(reply), 0);
    if (got < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) return -EPROTO;
    struct nlmsghdr *h = (struct nlmsghdr *)reply;
    if (h->nlmsg_type != NLMSG_ERROR) return -EPROTO;
    return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
}

int wnet_nflog_socket(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) return -1;
    struct sockaddr_nl a = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) { close(fd); return -1; }
    struct nfulnl_msg_config_cmd bind_cmd = { .command = NFULNL_CFG_CMD_BIND };
    // The addresses and ports are all Warden reads: 96 bytes cover an IPv6 header and the
    // transport header's ports.
    struct nfulnl_msg_config_mode mode = { .copy_range = htonl(96), .copy_mode = NFULNL_COPY_PACKET };
    // One packet per message, at once: the default batches 100 packets or one second, and a
    // short run would end before its refusals arrive.
    unsigned int qthresh = htonl(1);
    if (config(fd, NFULA_CFG_CMD, &bind_cmd, sizeof(bind_cmd)) != 0
        || config(fd, NFULA_CFG_MODE, &mode, sizeof(mode)) != 0
        || config(fd, NFULA_CFG_QTHRESH, &qthresh, sizeof(qthresh)) != 0) { close(fd); return -1; }
    return fd;
}

long wnet_nflog_drain(int fd, unsigned char *out, unsigned long cap, int *lost) {
    unsigned long used = 0;
    *lost = 0;
    for (;;) {
        unsigned char buf[16384];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == ENOBUFS) { *lost = 1; continue; }   // the socket overflowed: some were dropped
        if (n <= 0) break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) continue;
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg))) continue;
            unsigned char *p = (unsigned char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct nfgenmsg));
            unsigned char *end = (unsigned char *)h + h->nlmsg_len;
            while (p + NLA_HDRLEN <= end) {
                struct nlattr *a = (struct nlattr *)p;
                if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) break;
                if ((a->nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD) {
                    unsigned long len = a->nla_len - NLA_HDRLEN;
                    if (len > 255) len = 255;
                    // Length-prefixed records: [len][bytes]...
                    if (used + 1 + len > cap) { *lost = 1; return (long)used; }
                    out[used] = (unsigned char)len;
                    memcpy(out + used + 1, p + NLA_HDRLEN, len);
                    used += 1 + len;
                }
                p += NLA_ALIGN(a->nla_len);
            }
        }
    }
    return (long)used;
}
