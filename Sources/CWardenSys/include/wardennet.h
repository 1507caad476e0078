#ifndef WARDENNET_H
#define WARDENNET_H

// The run's network namespace, set up from outside it (docs/NETWORK.md): loopback with default
// routes through it, the transparent proxy's and DNS stub's sockets, nftables.

/// Sockets created inside the run's network namespace and handed to the supervisor.
struct wnet_sockets {
    int tcp4, tcp6;     // the transparent proxy's listeners (127.0.0.1 / ::1, proxy port)
    int udp4, udp6;     // the DNS stub (127.0.0.1 / ::1, stub port)
    int nft;            // NETLINK_NETFILTER: set-element updates (pinned DNS answers)
    int monitor;        // NETLINK_NETFILTER: ruleset change notifications (drift monitor)
    int relay4, relay6; // the UDP relay (transparent, 127.0.0.1 / ::1, relay port); -1 without UDP rules
    int raw4, raw6;     // raw sockets writing the relay's replies; -1 without UDP rules
    int nflog;          // NETLINK_NETFILTER bound to WNET_NFLOG_GROUP: packets the ruleset refused
};

/// The nflog group the ruleset's refusing rules log to (NftRuleset).
enum { WNET_NFLOG_GROUP = 0x5744 };

/// The packet mark nftables puts on granted UDP and the routing table that marked packets look
/// up (a local default route: delivered in the namespace, to the relay). Shared with the
/// ruleset text (NftRuleset).
enum { WNET_UDP_MARK = 0x5744, WNET_UDP_TABLE = 87 };

/// Forks a helper that joins `pid`'s user and network namespaces, brings `lo` up with IPv4 and
/// IPv6 default routes through it, creates the sockets above and sends them back, then runs
/// `nft -f -` on `ruleset` keeping only CAP_NET_ADMIN (ambient). With `udp_port` > 0 it also adds
/// the UDP relay's policy routing and sockets. 0 on success; otherwise -errno and `errbuf` says
/// which step failed (with nft's own error text when nft refused the ruleset).
int wnet_prepare(int pid, const char *nft_path, const char *ruleset, int proxy_port, int dns_port, int udp_port,
                 struct wnet_sockets *out, char *errbuf, int errlen);

/// In the namespace: `fwmark WNET_UDP_MARK lookup WNET_UDP_TABLE` and a local default route in
/// that table, for IPv4 and IPv6. 0 or -1.
int wnet_udp_routing(void);

/// In the namespace: the relay's transparent UDP socket on loopback (`family` AF_INET or
/// AF_INET6), reporting each datagram's original destination. The descriptor or -1.
int wnet_udp_relay_socket(int family, int port);

/// In the namespace: a send-only raw socket (header included) for the relay's replies. fd or -1.
int wnet_udp_raw_socket(int family);

/// One datagram from the relay socket: its source and original destination (4 or 16 bytes by
/// the socket's family). Its length, or -errno (EAGAIN: none waiting; EMSGSIZE: truncated).
long wnet_udp_recv(int fd, unsigned char *buf, unsigned long cap, unsigned char src[16], unsigned short *sport,
                   unsigned char dst[16], unsigned short *dport);

/// In the namespace: a netfilter-log socket bound to WNET_NFLOG_GROUP, copying the first 96
/// bytes of each logged packet. The descriptor or -1.
int wnet_nflog_socket(void);

/// Drains the (non-blocking) nflog socket into `out` as length-prefixed packet heads
/// (one length byte, then that many bytes). Returns the bytes written; `lost` is set when the
/// socket overflowed or `out` filled (some refusals are missing).
long wnet_nflog_drain(int fd, unsigned char *out, unsigned long cap, int *lost);

/// Writes a UDP datagram from `from`:`from_port` to `to`:`to_port` on raw socket `raw`
/// (`family` 4 or 6), checksummed. 0 or -errno.
int wnet_udp_reply(int raw, int family, const unsigned char *from, unsigned short from_port,
                   const unsigned char *to, unsigned short to_port, const unsigned char *payload, unsigned long len);

/// The destination a redirected TCP connection was addressed to (SO_ORIGINAL_DST /
/// IP6T_SO_ORIGINAL_DST). `family` is 4 or 6; `addr` receives 4 or 16 bytes. 0 or -errno.
int wnet_original_dst(int fd, int family, unsigned char addr[16], unsigned short *port);

/// Adds `count` addresses (4 or 16 bytes each, by `family`) to set `set` of table inet `table`
/// in one nf_tables batch on `fd`, and waits for the kernel's acknowledgement. 0 or -errno.
int wnet_nft_add_addresses(int fd, int family, const char *table, const char *set,
                           const unsigned char *addrs, int count, unsigned int seq);

/// The netlink port id the kernel assigned to `fd` (0 on failure).
unsigned int wnet_portid(int fd);

/// Subscribes `fd` to nf_tables change notifications. 0 or -errno.
int wnet_monitor_subscribe(int fd);

/// Reads every pending notification on the (non-blocking) monitor socket. Returns how many came
/// from anyone but `own_portid` (a change Warden did not make), 0 when none, or -errno (ENOBUFS:
/// notifications were lost, which the caller must treat as drift). `what` names the first
/// foreign change's message type.
int wnet_monitor_drain(int fd, unsigned int own_portid, char *what, int whatlen);

/// accept4(SOCK_CLOEXEC); -errno on failure.
int wnet_accept(int fd);

/// splice(2) with SPLICE_F_MOVE | SPLICE_F_NONBLOCK; -errno on failure.
long wnet_splice(int in, int out, unsigned long len);

/// pipe2(O_CLOEXEC | O_NONBLOCK); 0 or -errno.
int wnet_pipe(int fds[2]);

/// 16 random bits (getrandom).
unsigned short wnet_random16(void);

#endif
