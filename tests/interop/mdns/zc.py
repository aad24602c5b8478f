#!/usr/bin/python3
"""python3-zeroconf as an independent mDNS peer for the discovery tests (Debian's /usr/bin/python3).

  zc.py resolve TYPE INSTANCE TIMEOUT        print one JSON line once INSTANCE.TYPE resolves (exit 1 on timeout)
  zc.py watch TYPE INSTANCE TIMEOUT          print a JSON line on every add/update/remove of INSTANCE.TYPE
  zc.py list TYPE SECONDS                    print a JSON line for every instance of TYPE added or removed
  zc.py capture SECONDS ADDRESS              print every mDNS datagram received on 5353 (group joined on the interface
                                             with ADDRESS), decoded by zeroconf
  zc.py register TYPE INSTANCE HOST ADDRESS PORT [KEY=VALUE...]
                                             register a service, print "registered", keep it until stdin closes
Types and hosts are given without the trailing ".local.".
"""
import json
import socket
import sys
import threading
import time

from zeroconf import DNSIncoming, DNSPointer, DNSService, DNSText, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf, IPVersion


def info_json(event, info, type_, instance):
    out = {"event": event, "instance": instance, "time": time.time()}
    if info is not None:
        out.update({
            "port": info.port,
            "server": info.server,
            "addresses": info.parsed_addresses(),
            "txt": {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()},
        })
    print(json.dumps(out), flush=True)


def full(type_):
    return type_ + ".local."


def browse(mode, type_, instance, timeout):
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    wanted = instance + "." + full(type_)
    done = threading.Event()

    def handler(zeroconf, service_type, name, state_change):
        if name.lower() != wanted.lower():
            return
        if state_change is ServiceStateChange.Removed:
            info_json("removed", None, type_, instance)
            if mode == "resolve":
                return
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is None:
            return
        info_json("added" if state_change is ServiceStateChange.Added else "updated", info, type_, instance)
        if mode == "resolve":
            done.set()

    ServiceBrowser(zc, full(type_), handlers=[handler])
    ok = done.wait(timeout) if mode == "resolve" else (time.sleep(timeout) or True)
    zc.close()
    sys.exit(0 if ok else 1)


def list_instances(type_, seconds):
    zc = Zeroconf(ip_version=IPVersion.V4Only)

    def handler(zeroconf, service_type, name, state_change):
        print(json.dumps({"event": state_change.name.lower(), "name": name[: -len(full(type_)) - 1], "time": time.time()}), flush=True)

    ServiceBrowser(zc, full(type_), handlers=[handler])
    time.sleep(seconds)
    zc.close()


def capture(seconds, address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("", 5353))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.251") + socket.inet_aton(address))
    print(json.dumps({"event": "capturing"}), flush=True)
    end = time.time() + seconds
    while time.time() < end:
        sock.settimeout(max(0.05, end - time.time()))
        try:
            data, source = sock.recvfrom(9000)
        except socket.timeout:
            break
        msg = DNSIncoming(data)
        records = []
        answers = msg.answers() if callable(msg.answers) else msg.answers
        for r in answers:
            rec = {"name": r.name, "type": r.type, "ttl": r.ttl}
            if isinstance(r, DNSService):
                rec.update({"port": r.port, "server": r.server})
            elif isinstance(r, DNSText):
                rec["txt"] = [t.decode(errors="replace") for t in _txt_strings(r.text)]
            elif isinstance(r, DNSPointer):
                rec["alias"] = r.alias
            records.append(rec)
        print(json.dumps({"event": "packet", "source": source[0], "id": msg.id, "response": msg.is_response(),
                          "questions": [q.name for q in msg.questions], "records": records, "time": time.time()}), flush=True)


def _txt_strings(text):
    i = 0
    while i < len(text):
        n = text[i]
        yield text[i + 1:i + 1 + n]
        i += 1 + n


def register(type_, instance, host, address, port, pairs):
    zc = Zeroconf(ip_version=IPVersion.V4Only)
    props = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        props[key] = value
    info = ServiceInfo(full(type_), instance + "." + full(type_), addresses=[socket.inet_aton(address)],
                       port=int(port), properties=props, server=host + ".local.")
    zc.register_service(info)
    print("registered", flush=True)
    sys.stdin.read()
    zc.unregister_service(info)
    zc.close()


if __name__ == "__main__":
    command = sys.argv[1]
    if command in ("resolve", "watch"):
        browse(command, sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif command == "list":
        list_instances(sys.argv[2], float(sys.argv[3]))
    elif command == "capture":
        capture(float(sys.argv[2]), sys.argv[3])
    elif command == "register":
        register(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:])
    else:
        sys.exit("unknown command " + command)
