#!/usr/bin/env python3
"""Regenerates tests/corpus/dtls-records.hex: seed datagrams of the DTLS fuzz test (Usp.Agent.Tests
DtlsFuzzTests), encoded here from RFC 6347 (DTLS 1.2), RFC 5246 and RFC 9146 by hand, independently of
BouncyCastle. The test adds the datagrams of a real handshake and session it records at run time. Edge cases on
purpose: fragments past the message length, a record longer than its datagram, two records in one datagram,
a Connection ID record, a heartbeat, a server's message sent to the server, a Certificate of junk ASN.1."""
import os

DTLS12, DTLS10 = b"\xfe\xfd", b"\xfe\xff"
CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT, TLS12_CID = 20, 21, 22, 23, 24, 25

def u8(v): return bytes([v])
def u16(v): return v.to_bytes(2, "big")
def u24(v): return v.to_bytes(3, "big")
def vec8(b): return u8(len(b)) + b
def vec16(b): return u16(len(b)) + b

def record(ctype, body, epoch=0, seq=0, version=DTLS12, length=None):
    return u8(ctype) + version + u16(epoch) + seq.to_bytes(6, "big") + u16(len(body) if length is None else length) + body

def handshake(mtype, body, message_seq=0, offset=0, fragment=None, total=None):
    fragment = body if fragment is None else fragment
    return u8(mtype) + u24(len(body) if total is None else total) + u16(message_seq) + u24(offset) + u24(len(fragment)) + fragment

def extension(etype, data): return u16(etype) + vec16(data)

EXTENSIONS = (
    extension(10, vec16(u16(23)))                 # supported_groups: secp256r1
    + extension(11, vec8(b"\x00"))                # ec_point_formats: uncompressed
    + extension(13, vec16(b"\x04\x03\x08\x04"))   # signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
    + extension(23, b"")                          # extended_master_secret
    + extension(54, vec8(b"")))                   # connection_id: empty (RFC 9146)

def client_hello(cookie=b"", suites=(0xC0AE, 0xC02B), extensions=EXTENSIONS):
    return DTLS12 + bytes(range(32)) + vec8(b"") + vec8(cookie) + vec16(b"".join(u16(s) for s in suites)) + vec8(b"\x00") + vec16(extensions)

ch = client_hello()
point = b"\x04" + bytes(range(1, 65))
seeds = {
    "client-hello": record(HANDSHAKE, handshake(1, ch)),
    "client-hello-bogus-cookie": record(HANDSHAKE, handshake(1, client_hello(b"\x5a" * 32), message_seq=1), seq=1),
    "client-hello-dtls10-record": record(HANDSHAKE, handshake(1, ch), version=DTLS10),
    "client-hello-no-extensions": record(HANDSHAKE, handshake(1, client_hello(extensions=b""))),
    "client-hello-psk-only": record(HANDSHAKE, handshake(1, client_hello(suites=(0xC0A8,)))),
    "client-hello-first-fragment": record(HANDSHAKE, handshake(1, ch, fragment=ch[:40])),
    "client-hello-fragment-past-end": record(HANDSHAKE, handshake(1, ch, offset=len(ch) - 4, fragment=ch[-40:])),
    "client-hello-fragment-longer-than-message": record(HANDSHAKE, handshake(1, ch, total=8)),
    "record-longer-than-datagram": record(HANDSHAKE, handshake(1, ch), length=1400),
    "two-records-one-datagram": record(HANDSHAKE, handshake(1, ch)) + record(ALERT, b"\x01\x00", seq=1),
    "hello-verify-request-to-server": record(HANDSHAKE, handshake(3, DTLS12 + vec8(b"\x11" * 32))),
    "server-hello-to-server": record(HANDSHAKE, handshake(2, DTLS12 + bytes(32) + vec8(b"") + u16(0xC0AE) + b"\x00" + vec16(b""))),
    "certificate-junk-asn1": record(HANDSHAKE, handshake(11, u24(10) + u24(7) + b"\x30\x82\xff\xff\x02\x01\x00", message_seq=2), seq=2),
    "certificate-empty-list": record(HANDSHAKE, handshake(11, u24(0), message_seq=2), seq=2),
    "client-key-exchange-ecdh": record(HANDSHAKE, handshake(16, vec8(point), message_seq=3), seq=3),
    "client-key-exchange-off-curve": record(HANDSHAKE, handshake(16, vec8(b"\x04" + b"\xff" * 64), message_seq=3), seq=3),
    "certificate-verify": record(HANDSHAKE, handshake(15, b"\x04\x03" + vec16(b"\x30\x06\x02\x01\x01\x02\x01\x01"), message_seq=4), seq=4),
    "change-cipher-spec": record(CHANGE_CIPHER_SPEC, b"\x01", seq=5),
    "change-cipher-spec-bad-value": record(CHANGE_CIPHER_SPEC, b"\x02\x01", seq=5),
    "finished-epoch1": record(HANDSHAKE, bytes(8) + bytes(range(24)), epoch=1, seq=0),
    "alert-close-notify": record(ALERT, b"\x01\x00", seq=6),
    "alert-fatal-handshake-failure": record(ALERT, b"\x02\x28", seq=6),
    "alert-truncated": record(ALERT, b"\x02", seq=6),
    "application-data-epoch0": record(APPLICATION_DATA, b"plain coap", seq=7),
    "application-data-epoch1": record(APPLICATION_DATA, bytes(8) + bytes(range(40)), epoch=1, seq=1),
    "application-data-epoch-max": record(APPLICATION_DATA, bytes(48), epoch=0xFFFF, seq=0xFFFFFFFFFFFF),
    "heartbeat-request": record(HEARTBEAT, b"\x01" + u16(0x4000) + b"x" * 16, seq=8),
    "connection-id-record": u8(TLS12_CID) + DTLS12 + u16(1) + (2).to_bytes(6, "big") + bytes(range(8)) + vec16(bytes(40)),
    "connection-id-record-short": u8(TLS12_CID) + DTLS12 + u16(1) + (2).to_bytes(6, "big") + b"\x01\x02",
    "unknown-content-type": record(99, b"\x00" * 8),
    "header-only": record(HANDSHAKE, b""),
}
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "dtls-records.hex"), "w") as f:
    f.write("# DTLS 1.2 datagrams (hex, one per line after its '# name'); generated by make-dtls-corpus.py\n")
    for name, data in seeds.items():
        f.write(f"# {name}\n{data.hex()}\n")
