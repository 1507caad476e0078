// UDP egress for listed `/udp` rules (docs/NETWORK.md). A redirect would hide a datagram's
// original destination, so granted UDP is steered instead: nftables marks it on output, a
// policy rule routes marked packets to a local route (the namespace accepts any address as
// its own), and a TPROXY rule hands them to the relay's socket, which learns the original
// destination from IP(V6)_ORIGDSTADDR. Replies must come from that destination's address and
// port, which no socket of the relay owns, so they are written as whole packets on a raw
// socket created in the namespace.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "wardennet.h"
#include "rtnl.h"

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IP_RECVORIGDSTADDR
#define IP_RECVORIGDSTADDR 20
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IPV6_RECVORIGDSTADDR
#define IPV6_RECVORIGDSTADDR 74
#endif
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif

int wnet_udp_routing(void) {
    for (int i = 0; i < 2; i++) {
        int family = i == 0 ? AF_INET : AF_INET6;
        if (wnet_rtnl_fwmark_rule(family, WNET_UDP_MARK, WNET_UDP_TABLE) != 0
            || wnet_rtnl_default_route(family, WNET_UDP_TABLE, RTN_LOCAL, RT_SCOPE_HOST, NULL) != 0) return -1;
    }
    return 0;
}

int wnet_udp_relay_socket(int family, int port) {
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1, rc;
    if (family == AF_INET) {
        rc = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one))
           | setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof(one));
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc |= bind(fd, (struct sockaddr *)&a, sizeof(a));
    } else {
        rc = setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one))
           | setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one))
           | setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &one, sizeof(one));
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port) };
        a.sin6_addr = in6addr_loopback;
        rc |= bind(fd, (struct sockaddr *)&a, sizeof(a));
    }
    if (rc != 0) { close(fd); return -1; }
    return fd;
}

int wnet_udp_raw_socket(int family) {
    // Send-only: IPPROTO_RAW sockets receive nothing, so the run's traffic is never copied here.
    int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) return -1;
    int one = 1;
    if (family == AF_INET6 && setsockopt(fd, SOL_IPV6, IPV6_HDRINCL, &one, sizeof(one)) != 0) { close(fd); return -1; }
    return fd;
}

long wnet_udp_recv(int fd, unsigned char *buf, unsigned long cap, unsigned char src[16], unsigned short *sport,
                   unsigned char dst[16], unsigned short *dport) {
    struct sockaddr_storage from;
    struct iovec iov = { buf, cap };
    union { struct cmsghdr align; char buf[256]; } control;
    struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
    ssize_t n;
    do { n = recvmsg(fd, &msg, MSG_DONTWAIT); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    if (msg.msg_flags & MSG_TRUNC) return -EMSGSIZE;
    int found = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVORIGDSTADDR && from.ss_family == AF_INET) {
            struct sockaddr_in d;
            memcpy(&d, CMSG_DATA(c), sizeof(d));
            memcpy(dst, &d.sin_addr, 4);
            *dport = ntohs(d.sin_port);
            found = 1;
        } else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVORIGDSTADDR && from.ss_family == AF_INET6) {
            struct sockaddr_in6 d;
            memcpy(&d, CMSG_DATA(c), sizeof(d));
            memcpy(dst, &d.sin6_addr, 16);
            *dport = ntohs(d.sin6_port);
            found = 1;
        }
    }
    if (!found) return -EPROTO;
    if (from.ss_family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)&from;
        memcpy(src, &s->sin_addr, 4);
        *sport = ntohs(s->sin_port);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&from;
        memcpy(src, &s->sin6_addr, 16);
        *sport = ntohs(s->sin6_port);
    }
    return (long)n;
}

static unsigned int sum16(const unsigned char *p, size_t n, unsigned int acc) {
    for (size_t i = 0; i + 1 < n; i += 2) acc += (unsigned int)(p[i] << 8 | p[i + 1]);
    if (n & 1) acc += (unsigned int)(p[n - 1] << 8);
    return acc;
}

static unsigned short fold(unsigned int acc) {
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    unsigned short c = (unsigned short)~acc;
    return c == 0 ? 0xffff : c;   // 0 means "no checksum" in UDP over IPv4, forbidden over IPv6
}

int wnet_udp_reply(int raw, int family, const unsigned char *from, unsigned short from_port,
                   const unsigned char *to, unsigned short to_port, const unsigned char *payload, unsigned long len) {
    size_t alen = family == 4 ? 4 : 16, hlen = family == 4 ? 20 : 40;
    if (len > 65000) return -EMSGSIZE;
    unsigned char packet[65535];
    size_t ulen = 8 + len;
    unsigned char *udp = packet + hlen;
    udp[0] = (unsigned char)(from_port >> 8); udp[1] = (unsigned char)from_port;
    udp[2] = (unsigned char)(to_port >> 8); udp[3] = (unsigned char)to_port;
    udp[4] = (unsigned char)(ulen >> 8); udp[5] = (unsigned char)ulen;
    udp[6] = 0; udp[7] = 0;
    memcpy(udp + 8, payload, len);
    // Pseudo-header: addresses, protocol, UDP length.
    unsigned int acc = sum16(from, alen, 0);
    acc = sum16(to, alen, acc);
    acc += 17 + (unsigned int)ulen;
    acc = sum16(udp, ulen, acc);
    unsigned short c = fold(acc);
    udp[6] = (unsigned char)(c >> 8); udp[7] = (unsigned char)c;
    size_t total = hlen + ulen;
    memset(packet, 0, hlen);
    ssize_t sent;
    if (family == 4) {
        packet[0] = 0x45;
        packet[2] = (unsigned char)(total >> 8); packet[3] = (unsigned char)total;
        packet[6] = 0x40;           // don't fragment
        packet[8] = 64;             // TTL
        packet[9] = 17;             // UDP; the kernel fills the id and header checksum
        memcpy(packet + 12, from, 4);
        memcpy(packet + 16, to, 4);
        struct sockaddr_in a = { .sin_family = AF_INET };
        memcpy(&a.sin_addr, to, 4);
        do { sent = sendto(raw, packet, total, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a)); } while (sent < 0 && errno == EINTR);
    } else {
        packet[0] = 0x60;
        packet[4] = (unsigned char)(ulen >> 8); packet[5] = (unsigned char)ulen;
        packet[6] = 17;             // next header: UDP
        packet[7] = 64;             // hop limit
        memcpy(packet + 8, from, 16);
        memcpy(packet + 24, to, 16);
        struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
        memcpy(&a.sin6_addr, to, 16);
        do { sent = sendto(raw, packet, total, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a)); } while (sent < 0 && errno == EINTR);
    }
    return sent == (ssize_t)total ? 0 : (sent < 0 ? -errno : -EIO);
}
