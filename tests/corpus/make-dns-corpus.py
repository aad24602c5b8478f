#!/usr/bin/env python3
"""Regenerates tests/corpus/dns-messages.hex: seed messages of the DNS/mDNS fuzz test (Usp.Agent.Tests DnsFuzzTests),
encoded here from RFC 1035 section 4, RFC 6762 and RFC 6763 by hand, independently of our codec. The names are those
of the test's responder (service _usp-agt-coap._udp.local, instance proto::rig-agent, host rig.local), so that the
seeds reach its answering paths. Edge cases on purpose: compression pointers (backwards, forwards, to themselves,
in loops, past the end), the QU bit, known answers, probes with authority records, truncation (TC), EDNS0 OPT, NSEC,
unknown types and classes, 63-byte labels, a 255-byte name, counts larger than the message holds."""
import os
import struct

SERVICE = ["_usp-agt-coap", "_udp", "local"]
INSTANCE = ["proto::rig-agent"] + SERVICE
HOST = ["rig", "local"]
A, PTR, TXT, AAAA, SRV, OPT, NSEC, ANY = 1, 12, 16, 28, 33, 41, 47, 255
IN, QU, FLUSH = 1, 0x8000, 0x8000


def name(labels):
    return b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\x00"


def header(flags=0, qd=0, an=0, ns=0, ar=0, ident=0):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def question(labels_or_bytes, qtype, qclass=IN):
    n = labels_or_bytes if isinstance(labels_or_bytes, bytes) else name(labels_or_bytes)
    return n + struct.pack(">HH", qtype, qclass)


def record(owner, rtype, rdata, rclass=IN, ttl=120):
    n = owner if isinstance(owner, bytes) else name(owner)
    return n + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def txt(*strings):
    return b"".join(bytes([len(s)]) + s.encode() for s in strings)


def srv(port, target):
    return struct.pack(">HHH", 0, 0, port) + name(target)


def ptr_at(offset):
    return struct.pack(">H", 0xC000 | offset)


seeds = {}
seeds["ptr-query"] = header(qd=1) + question(SERVICE, PTR)
seeds["ptr-query-qu"] = header(qd=1) + question(SERVICE, PTR, IN | QU)
seeds["services-enumeration"] = header(qd=1) + question(["_services", "_dns-sd", "_udp", "local"], PTR)
seeds["subtype-query"] = header(qd=1) + question(["_gateway", "_sub"] + SERVICE, PTR)
seeds["instance-any"] = header(qd=1) + question(INSTANCE, ANY)
seeds["srv-txt-query-compressed"] = (header(qd=2) + question(INSTANCE, SRV)
                                     + ptr_at(12) + struct.pack(">HH", TXT, IN))
seeds["host-a-aaaa"] = header(qd=2) + question(HOST, A) + question(HOST, AAAA)
seeds["legacy-unicast-id"] = header(ident=0x1234, flags=0x0100, qd=1) + question(SERVICE, PTR)
# Known-answer suppression (RFC 6762 7.1): the querier already holds our PTR with more than half its TTL.
seeds["known-answer"] = (header(qd=1, an=1) + question(SERVICE, PTR)
                         + record(ptr_at(12), PTR, name(INSTANCE), ttl=4500))
seeds["known-answer-truncated"] = (header(flags=0x0200, qd=1, an=1) + question(SERVICE, PTR)
                                   + record(ptr_at(12), PTR, name(INSTANCE), ttl=4500))
# A probe for our names (RFC 6762 8.2): question ANY, proposed records in the authority section.
seeds["probe-conflict"] = (header(qd=1, ns=2) + question(INSTANCE, ANY, IN | QU)
                           + record(ptr_at(12), SRV, srv(9999, ["other", "local"]))
                           + record(ptr_at(12), TXT, txt("path=e/other")))
seeds["probe-host"] = header(qd=1, ns=1) + question(HOST, ANY, IN | QU) + record(ptr_at(12), A, bytes([10, 0, 0, 99]))
# A response (as another responder announces): PTR, SRV, TXT, A, AAAA, NSEC, with cache-flush bits.
resp = header(flags=0x8400, an=3, ar=3)
instance_at = 12 + len(name(SERVICE)) + 10  # the PTR's rdata: the instance name, which later owners point back to
resp += record(SERVICE, PTR, name(INSTANCE), ttl=4500)
resp += record(ptr_at(instance_at), SRV, srv(5683, HOST), IN | FLUSH)
resp += record(ptr_at(instance_at), TXT, txt("path=e/proto::rig-agent", "name=Kitchen"), IN | FLUSH, 4500)
resp += record(HOST, A, bytes([10, 0, 0, 7]), IN | FLUSH)
resp += record(HOST, AAAA, bytes.fromhex("fe800000000000000000000000000007"), IN | FLUSH)
resp += record(HOST, NSEC, name(HOST) + bytes([0, 5, 0x40, 0, 0, 0, 8]), IN | FLUSH)
seeds["announcement"] = resp
seeds["forward-pointer"] = header(flags=0x8400, an=1) + record(SERVICE, PTR, ptr_at(12 + len(name(SERVICE)) + 12), ttl=4500) + name(INSTANCE)
seeds["goodbye"] = header(flags=0x8400, an=1) + record(SERVICE, PTR, name(INSTANCE), ttl=0)
seeds["edns0-opt"] = header(qd=1, ar=1) + question(SERVICE, PTR) + b"\x00" + struct.pack(">HHIH", OPT, 1440, 0, 4) + b"\x00\x04\x00\x00"
seeds["unknown-type-class"] = header(qd=2) + question(SERVICE, 0xFF00, 0x00FE) + question(HOST, 65535, 255)
seeds["pointer-to-itself"] = header(qd=1) + ptr_at(12) + struct.pack(">HH", PTR, IN)
seeds["pointer-loop"] = header(qd=2) + b"\x01a" + ptr_at(20) + struct.pack(">HH", A, IN) + b"\x01b" + ptr_at(12) + struct.pack(">HH", A, IN)
seeds["pointer-past-end"] = header(qd=1) + b"\x05local" + ptr_at(0x3FFF) + struct.pack(">HH", PTR, IN)
seeds["pointer-into-header"] = header(qd=1) + ptr_at(2) + struct.pack(">HH", PTR, IN)
seeds["label-63"] = header(qd=1) + question(["x" * 63] + SERVICE, PTR)
seeds["name-255"] = header(qd=1) + question(["y" * 63] * 3 + ["z" * 61], A)
seeds["reserved-label-type"] = header(qd=1) + b"\x4112345" + b"\x00" + struct.pack(">HH", A, IN)
seeds["counts-larger-than-message"] = header(qd=40, an=65535, ns=3, ar=200) + question(SERVICE, PTR)
seeds["rdlength-past-end"] = header(flags=0x8400, an=1) + name(HOST) + struct.pack(">HHIH", A, IN, 120, 400) + bytes([10, 0, 0, 1])
seeds["srv-target-compressed"] = (header(flags=0x8400, an=1) + record(INSTANCE, SRV, struct.pack(">HHH", 0, 0, 5683) + ptr_at(12 + 1 + len("proto::rig-agent"))))
seeds["txt-empty-and-long"] = header(flags=0x8400, an=1) + record(INSTANCE, TXT, b"\x00" + txt("k=" + "v" * 250))
seeds["header-only"] = header()
seeds["short-header"] = header(qd=1)[:7]

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "dns-messages.hex"), "w") as f:
    f.write("# DNS/mDNS messages (hex, one per line after its '# name'); generated by make-dns-corpus.py\n")
    for label, data in seeds.items():
        f.write(f"# {label}\n{data.hex()}\n")
