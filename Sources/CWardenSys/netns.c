// Setting up a run's network namespace from outside it, and the nf_tables netlink bits Warden
// needs afterwards (pinning DNS answers, noticing foreign rule changes). See docs/NETWORK.md.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "wardennet.h"
#include "rtnl.h"

#define W_SO_ORIGINAL_DST 80   // SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST share the number

// Helper exit codes < 64 name the step that failed before exec; nft's own code otherwise.
enum { ST_NS_OPEN = 10, ST_SETNS_USER, ST_SETNS_NET, ST_LO_UP, ST_ROUTE4, ST_ROUTE6, ST_SOCKETS,
       ST_SEND, ST_CAPS, ST_PIPE, ST_EXEC, ST_UDP_ROUTES, ST_UDP_SOCKETS };
#define WNET_MAX_FDS 11

static const char *step_name(int st) {
    switch (st) {
    case ST_NS_OPEN: return "opening the run's namespaces";
    case ST_SETNS_USER: return "joining the run's user namespace";
    case ST_SETNS_NET: return "joining the run's network namespace";
    case ST_LO_UP: return "bringing up loopback";
    case ST_ROUTE4: return "adding the IPv4 route through loopback";
    case ST_ROUTE6: return "adding the IPv6 route through loopback";
    case ST_SOCKETS: return "creating the proxy, resolver, netlink and nflog sockets";
    case ST_SEND: return "handing the sockets to the supervisor";
    case ST_CAPS: return "keeping CAP_NET_ADMIN for nft";
    case ST_PIPE: return "passing the ruleset to nft";
    case ST_EXEC: return "executing nft";
    case ST_UDP_ROUTES: return "adding the UDP relay's policy routing (fwmark rule, local route)";
    case ST_UDP_SOCKETS: return "creating the UDP relay's transparent and raw sockets";
    default: return "nft";
    }
}

static int listener(int family, int type, int port) {
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    int rc;
    if (family == AF_INET) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port) };
        a.sin6_addr = in6addr_loopback;
        rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
    }
    if (rc != 0 || (type == SOCK_STREAM && listen(fd, 256) != 0)) { close(fd); return -1; }
    return fd;
}

static int netfilter_socket(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) return -1;
    struct sockaddr_nl a = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) { close(fd); return -1; }
    return fd;
}

/// default dev lo src 127.0.0.1 (or ::1).
static int add_default_route(int family) {
    unsigned char src[16];
    memset(src, 0, sizeof(src));
    if (family == AF_INET) { src[0] = 127; src[3] = 1; } else { src[15] = 1; }
    return wnet_rtnl_default_route(family, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_LINK, src);
}

static int lo_up_and_route(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return ST_LO_UP;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return ST_LO_UP;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return ST_LO_UP;
    close(s);
    // Every destination routes to loopback with loopback as the source, where nftables
    // redirects what the grant may allow to the proxy and refuses the rest; without a route
    // connect() would fail before netfilter, and without the source address replies would go
    // to 0.0.0.0.
    if (add_default_route(AF_INET) != 0) return ST_ROUTE4;
    if (add_default_route(AF_INET6) != 0) return ST_ROUTE6;
    return 0;
}

static int send_fds(int sock, const int *fds, int n) {
    char byte = 's';
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int) * WNET_MAX_FDS)]; } control;
    memset(&control, 0, sizeof(control));
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int recv_fds(int sock, int *fds, int n) {
    char byte;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int) * WNET_MAX_FDS)]; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof(control.buf) };
    ssize_t got;
    do { got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (got < 0 && errno == EINTR);
    if (got != 1 || (msg.msg_flags & MSG_CTRUNC)) return -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int) * (size_t)n)) return -1;
    memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)n);
    return 0;
}

static int keep_net_admin(void) {
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0) return -1;
    data[CAP_NET_ADMIN / 32].inheritable |= 1u << (CAP_NET_ADMIN % 32);
    if (syscall(SYS_capset, &hdr, data) != 0) return -1;
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

/// The helper: never returns.
static void helper(int pid, const char *nft_path, const char *ruleset, int proxy_port, int dns_port,
                   int udp_port, int sock, int errw) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
    int userfd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
    int netfd = open(path, O_RDONLY | O_CLOEXEC);
    if (userfd < 0 || netfd < 0) _exit(ST_NS_OPEN);
    if (setns(userfd, CLONE_NEWUSER) != 0) _exit(ST_SETNS_USER);
    if (setns(netfd, CLONE_NEWNET) != 0) _exit(ST_SETNS_NET);
    int st = lo_up_and_route();
    if (st) _exit(st);
    int fds[WNET_MAX_FDS] = {
        listener(AF_INET, SOCK_STREAM, proxy_port), listener(AF_INET6, SOCK_STREAM, proxy_port),
        listener(AF_INET, SOCK_DGRAM, dns_port), listener(AF_INET6, SOCK_DGRAM, dns_port),
        netfilter_socket(), netfilter_socket(), wnet_nflog_socket(), -1, -1, -1, -1,
    };
    for (int i = 0; i < 7; i++) if (fds[i] < 0) _exit(ST_SOCKETS);
    int n = 7;
    if (udp_port > 0) {
        if (wnet_udp_routing() != 0) _exit(ST_UDP_ROUTES);
        fds[7] = wnet_udp_relay_socket(AF_INET, udp_port);
        fds[8] = wnet_udp_relay_socket(AF_INET6, udp_port);
        fds[9] = wnet_udp_raw_socket(AF_INET);
        fds[10] = wnet_udp_raw_socket(AF_INET6);
        for (int i = 7; i < 11; i++) if (fds[i] < 0) _exit(ST_UDP_SOCKETS);
        n = 11;
    }
    if (send_fds(sock, fds, n) != 0) _exit(ST_SEND);
    for (int i = 0; i < n; i++) close(fds[i]);
    if (keep_net_admin() != 0) _exit(ST_CAPS);
    int in[2];
    size_t len = strlen(ruleset);
    if (len > 60000 || pipe2(in, 0) != 0) _exit(ST_PIPE);
    if (write(in[1], ruleset, len) != (ssize_t)len) _exit(ST_PIPE);
    close(in[1]);
    if (dup2(in[0], 0) < 0 || dup2(errw, 1) < 0 || dup2(errw, 2) < 0) _exit(ST_PIPE);
    char *argv[] = { (char *)"nft", (char *)"-f", (char *)"-", NULL };
    char *envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL };
    execve(nft_path, argv, envp);
    _exit(ST_EXEC);
}

int wnet_prepare(int pid, const char *nft_path, const char *ruleset, int proxy_port, int dns_port, int udp_port,
                 struct wnet_sockets *out, char *errbuf, int errlen) {
    if (errlen > 0) errbuf[0] = 0;
    int sp[2], ep[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return -errno;
    if (pipe2(ep, O_CLOEXEC) != 0) { int e = errno; close(sp[0]); close(sp[1]); return -e; }
    pid_t child = fork();
    if (child == 0) {
        close(sp[0]); close(ep[0]);
        // The helper dies with its parent and takes no signal handlers with it into nft.
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        helper(pid, nft_path, ruleset, proxy_port, dns_port, udp_port, sp[1], ep[1]);
    }
    int saved = errno;
    close(sp[1]); close(ep[1]);
    if (child < 0) { close(sp[0]); close(ep[0]); return -saved; }
    int fds[WNET_MAX_FDS] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
    int nfds = udp_port > 0 ? 11 : 7;
    int got = recv_fds(sp[0], fds, nfds);
    close(sp[0]);
    char text[1024];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(ep[0], text + used, sizeof(text) - 1 - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += (size_t)n;
        if (used >= sizeof(text) - 1) break;
    }
    text[used] = 0;
    close(ep[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (got != 0 || code != 0) {
        if (got == 0) for (int i = 0; i < nfds; i++) close(fds[i]);
        if (code >= ST_NS_OPEN && code <= ST_UDP_SOCKETS)
            snprintf(errbuf, (size_t)errlen, "%s failed", step_name(code));
        else
            snprintf(errbuf, (size_t)errlen, "nft refused the ruleset (exit %d): %s", code, text);
        return -EPERM;
    }
    out->tcp4 = fds[0]; out->tcp6 = fds[1]; out->udp4 = fds[2]; out->udp6 = fds[3];
    out->nft = fds[4]; out->monitor = fds[5];
    out->nflog = fds[6];
    out->relay4 = fds[7]; out->relay6 = fds[8]; out->raw4 = fds[9]; out->raw6 = fds[10];
    return 0;
}

int wnet_original_dst(int fd, int family, unsigned char addr[16], unsigned short *port) {
    if (family == 4) {
        struct sockaddr_in a;
        socklen_t len = sizeof(a);
        if (getsockopt(fd, SOL_IP, W_SO_ORIGINAL_DST, &a, &len) != 0) return -errno;
        memcpy(addr, &a.sin_addr, 4);
        *port = ntohs(a.sin_port);
    } else {
        struct sockaddr_in6 a;
        socklen_t len = sizeof(a);
        if (getsockopt(fd, SOL_IPV6, W_SO_ORIGINAL_DST, &a, &len) != 0) return -errno;
        memcpy(addr, &a.sin6_addr, 16);
        *port = ntohs(a.sin6_port);
    }
    return 0;
}

// nf_tables netlink messages: header + nfgenmsg + attributes, built in a fixed buffer.
struct nlbuf { unsigned char data[8192]; size_t len; int overflow; };

static void *put(struct nlbuf *b, size_t n) {
    size_t aligned = NLMSG_ALIGN(n);
    if (b->len + aligned > sizeof(b->data)) { b->overflow = 1; return NULL; }
    void *p = b->data + b->len;
    memset(p, 0, aligned);
    b->len += aligned;
    return p;
}

static struct nlmsghdr *begin_msg(struct nlbuf *b, int type, int flags, int family, int res_id, unsigned int seq) {
    size_t start = b->len;
    struct nlmsghdr *h = put(b, NLMSG_HDRLEN);
    struct nfgenmsg *g = put(b, sizeof(struct nfgenmsg));
    if (!h || !g) return NULL;
    h->nlmsg_type = (unsigned short)type;
    h->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
    h->nlmsg_seq = seq;
    g->nfgen_family = (unsigned char)family;
    g->version = NFNETLINK_V0;
    g->res_id = htons((unsigned short)res_id);
    (void)start;
    return h;
}

static void end_msg(struct nlbuf *b, struct nlmsghdr *h) {
    h->nlmsg_len = (unsigned int)((b->data + b->len) - (unsigned char *)h);
}

static struct nlattr *attr(struct nlbuf *b, int type, const void *value, size_t n) {
    struct nlattr *a = put(b, NLA_HDRLEN + n);
    if (!a) return NULL;
    a->nla_type = (unsigned short)type;
    a->nla_len = (unsigned short)(NLA_HDRLEN + n);
    if (n) memcpy((unsigned char *)a + NLA_HDRLEN, value, n);
    return a;
}

static void close_nest(struct nlbuf *b, struct nlattr *a) {
    a->nla_len = (unsigned short)((b->data + b->len) - (unsigned char *)a);
}

int wnet_nft_add_addresses(int fd, int family, const char *table, const char *set,
                           const unsigned char *addrs, int count, unsigned int seq) {
    size_t alen = family == 4 ? 4 : 16;
    if (count <= 0 || count > 64) return -EINVAL;
    struct nlbuf b;
    b.len = 0; b.overflow = 0;
    struct nlmsghdr *h = begin_msg(&b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq);
    if (h) end_msg(&b, h);
    h = begin_msg(&b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
                  NFPROTO_INET, 0, seq + 1);
    if (!h) return -E2BIG;
    attr(&b, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
    attr(&b, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
    struct nlattr *list = attr(&b, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, NULL, 0);
    for (int i = 0; i < count && list; i++) {
        struct nlattr *elem = attr(&b, NFTA_LIST_ELEM | NLA_F_NESTED, NULL, 0);
        struct nlattr *key = attr(&b, NFTA_SET_ELEM_KEY | NLA_F_NESTED, NULL, 0);
        attr(&b, NFTA_DATA_VALUE, addrs + (size_t)i * alen, alen);
        if (!elem || !key) return -E2BIG;
        close_nest(&b, key);
        close_nest(&b, elem);
    }
    if (!list || b.overflow) return -E2BIG;
    close_nest(&b, list);
    end_msg(&b, h);
    h = begin_msg(&b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq + 2);
    if (!h) return -E2BIG;
    end_msg(&b, h);
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(fd, b.data, b.len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)b.len) return -errno;
    // The acknowledgement of the NEWSETELEM (an nlmsgerr with error 0), or its error.
    for (int tries = 0; tries < 8; tries++) {
        unsigned char reply[4096];
        ssize_t n;
        do { n = recv(fd, reply, sizeof(reply), 0); } while (n < 0 && errno == EINTR);
        if (n < 0) return -errno;
        for (struct nlmsghdr *r = (struct nlmsghdr *)reply; NLMSG_OK(r, (unsigned int)n); r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_type == NLMSG_ERROR && r->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
                struct nlmsgerr *e = NLMSG_DATA(r);
                if (r->nlmsg_seq == seq + 1) return e->error;
            }
        }
    }
    return -EPROTO;
}

unsigned int wnet_portid(int fd) {
    struct sockaddr_nl a;
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return 0;
    return a.nl_pid;
}

int wnet_monitor_subscribe(int fd) {
    int group = NFNLGRP_NFTABLES;
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) return -errno;
    int flags = fcntl(fd, F_GETFL);
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 ? 0 : -errno;
}

int wnet_monitor_drain(int fd, unsigned int own_portid, char *what, int whatlen) {
    int foreign = 0;
    if (whatlen > 0) what[0] = 0;
    for (;;) {
        unsigned char buf[8192];
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? foreign : -errno;
        if (n == 0) return foreign;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_pid == own_portid) continue;
            if (foreign == 0 && whatlen > 0)
                snprintf(what, (size_t)whatlen, "nf_tables message %d from netlink port %u",
                         h->nlmsg_type & 0xff, h->nlmsg_pid);
            foreign++;
        }
    }
}

int wnet_accept(int fd) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    return c < 0 ? -errno : c;
}

long wnet_splice(int in, int out, unsigned long len) {
    ssize_t n = splice(in, NULL, out, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    return n < 0 ? -errno : (long)n;
}

int wnet_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0 ? 0 : -errno;
}

unsigned short wnet_random16(void) {
    unsigned short v = 0;
    if (syscall(SYS_getrandom, &v, sizeof(v), 0) != (long)sizeof(v)) v = (unsigned short)getpid();
    return v;
}
