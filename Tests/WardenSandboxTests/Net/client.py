#!/usr/bin/env python3
"""What a tool inside the sandbox tries; prints one line per attempt: `ok ...` or `err NAME`.
It never uses proxy variables: plain sockets, like any program that ignores HTTP_PROXY.

  tcp HOST PORT            connect, send "ping", print the reply
  tls HOST PORT SNI        TLS handshake with that server name (certificate not checked)
  udp HOST PORT            send a datagram, wait 1 s for a reply (from HOST PORT)
  udpc HOST PORT           the same on a connected socket
  resolve NAME             getaddrinfo (through whatever resolv.conf names)
  query SERVER NAME        a raw DNS A query to SERVER:53
  bulk HOST PORT BYTES     read BYTES from the server
  hold SECONDS             sleep (the drift test changes the rules meanwhile)
  raw                      a raw ICMP socket (ping without the proxy)
  io_uring                 io_uring_setup (an async connect would bypass nothing, but it must stay denied)
"""
import ctypes, errno, socket, ssl, struct, sys, time

def err(e):
    return "err " + (errno.errorcode.get(e.errno, str(e)) if getattr(e, "errno", None) else type(e).__name__)

def run(verb, args):
    t = time.monotonic()
    try:
        if verb == "tcp":
            s = socket.create_connection((args[0], int(args[1])), timeout=5)
            s.sendall(b"ping"); data = s.recv(256); s.close()
            return "ok " + data.decode(errors="replace") if data else "err EMPTY"
        if verb == "tls":
            raw = socket.create_connection((args[0], int(args[1])), timeout=5)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            t2 = ctx.wrap_socket(raw, server_hostname=args[2]); data = t2.recv(64); t2.close()
            return "ok " + data.decode()
        if verb in ("udp", "udpc"):
            info = socket.getaddrinfo(args[0], int(args[1]), type=socket.SOCK_DGRAM)[0]
            s = socket.socket(info[0], socket.SOCK_DGRAM); s.settimeout(1)
            if verb == "udpc":
                s.connect(info[4]); s.send(b"u"); data = s.recv(256)
            else:
                s.sendto(b"u", info[4]); data, peer = s.recvfrom(256)
                if peer[:2] != info[4][:2]: return "err WRONG-SOURCE %s" % (peer,)
            return "ok " + data.decode()
        if verb == "resolve":
            infos = socket.getaddrinfo(args[0], 80, proto=socket.IPPROTO_TCP)
            return "ok " + " ".join(sorted({i[4][0] for i in infos}))
        if verb == "query":
            name = b"".join(bytes([len(l)]) + l.encode() for l in args[1].split(".")) + b"\0"
            q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
            s.sendto(q, (args[0], 53)); data, _ = s.recvfrom(4096)
            rcode = data[3] & 0xF; count = struct.unpack("!H", data[6:8])[0]
            return "ok rcode=%d answers=%d" % (rcode, count)
        if verb == "bulk":
            s = socket.create_connection((args[0], int(args[1])), timeout=5)
            s.sendall(b"BULK %s" % args[2].encode()); n = 0
            while True:
                d = s.recv(1 << 20)
                if not d: break
                n += len(d)
            return "ok %d bytes in %.1f ms" % (n, (time.monotonic() - t) * 1000)
        if verb == "raw":
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
            return "ok raw socket"
        if verb == "io_uring":
            libc = ctypes.CDLL(None, use_errno=True)
            params = ctypes.create_string_buffer(120)
            fd = libc.syscall(425, 8, params)
            return "ok io_uring fd" if fd >= 0 else "err " + errno.errorcode.get(ctypes.get_errno(), "?")
        if verb == "hold":
            print("holding", flush=True); time.sleep(float(args[0]))
            return "ok held"
        return "err USAGE"
    except OSError as e:
        return err(e) if not isinstance(e, socket.timeout) else "err TIMEOUT"

# Several attempts per run: "verb arg arg ; verb arg ..."
words = sys.argv[1:]
cmds, cur = [], []
for w in words:
    if w == ";": cmds.append(cur); cur = []
    else: cur.append(w)
if cur: cmds.append(cur)
for c in cmds:
    print(" ".join(c), "=>", run(c[0], c[1:]), flush=True)
