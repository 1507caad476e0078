#!/usr/bin/env python3
"""A test host for Warden's egress tests, run inside a network namespace the test created
(`ip netns exec`): TCP servers on two ports, a TLS server with one certificate for two names,
a UDP echo, and a DNS server answering the test names (including rebinding ones).

usage: testhost.py ADDR4 ADDR4B ADDR6 CERT KEY READYFILE
"""
import socket, ssl, struct, sys, threading

addr4, addr4b, addr6, cert, key, ready = sys.argv[1:7]
flip_count = {"n": 0}

def tcp_server(family, host, port, tag):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(64)
    def serve(c):
        try:
            data = c.recv(65536)
            if data.startswith(b"BULK"):
                n = int(data.split()[1])
                chunk = b"x" * 65536
                while n > 0:
                    c.sendall(chunk[:min(n, 65536)]); n -= 65536
            else:
                c.sendall(b"hello-%s %s" % (tag.encode(), data[:64]))
        except OSError:
            pass
        finally:
            c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

def tls_server(host, port, family=socket.AF_INET):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(64)
    while True:
        c, _ = s.accept()
        try:
            t = ctx.wrap_socket(c, server_side=True)
            t.sendall(b"tls-hello"); t.close()
        except (OSError, ssl.SSLError):
            c.close()

def udp_echo(host, port, family=socket.AF_INET, tag="echo"):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(tag.encode() + b" " + data, peer)

def records(name, qtype):
    """Answers of the test zone: (type, bytes)."""
    a = lambda ip: (1, socket.inet_pton(socket.AF_INET, ip))
    aaaa = lambda ip: (28, socket.inet_pton(socket.AF_INET6, ip))
    zone = {
        "alpha.test": [a(addr4), aaaa(addr6)],
        "beta.test": [a(addr4)],
        "delta.test": [a(addr4b)],
        "unlisted.test": [a(addr4)],
        "rebind.test": [a("127.0.0.1"), a(addr4)],
        "meta.test": [a("169.254.169.254")],
    }
    if name == "flip.test":
        flip_count["n"] += 1
        return [a(addr4)] if flip_count["n"] == 1 else [a(addr4b)]
    return [r for r in zone.get(name, []) if r[0] == qtype] if name in zone else None

def dns_server(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        q, peer = s.recvfrom(4096)
        try:
            qid, flags, qd = struct.unpack("!HHH", q[:6])
            i, labels = 12, []
            while q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
            qtype, = struct.unpack("!H", q[i + 1:i + 3])
            question = q[12:i + 5]
            name = ".".join(labels).lower()
            answers = records(name, qtype)
            rcode = 3 if answers is None else 0
            body = b"".join(struct.pack("!HHHIH", 0xC00C, t, 1, 30, len(d)) + d for t, d in (answers or []))
            header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers or []), 0, 0)
            s.sendto(header + question + body, peer)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue

servers = [
    (tcp_server, (socket.AF_INET, addr4, 8080, "8080")),
    (tcp_server, (socket.AF_INET, addr4, 8081, "8081")),
    (tcp_server, (socket.AF_INET, addr4b, 8080, "b8080")),
    (tcp_server, (socket.AF_INET6, addr6, 8080, "v6-8080")),
    (tcp_server, (socket.AF_INET6, addr6, 8081, "v6-8081")),
    (tls_server, (addr4, 8443)),
    (tls_server, (addr6, 8443, socket.AF_INET6)),
    (udp_echo, (addr4, 9999)),
    (udp_echo, (addr4, 9998, socket.AF_INET, "echo-9998")),
    (udp_echo, (addr6, 9999, socket.AF_INET6, "echo-v6")),
    (dns_server, (addr4, 53)),
]
for fn, args in servers:
    threading.Thread(target=fn, args=args, daemon=True).start()
open(ready, "w").write("ready\n")
threading.Event().wait()
