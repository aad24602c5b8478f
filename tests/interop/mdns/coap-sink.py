#!/usr/bin/python3
"""A minimal CoAP server for the discovery tests: acknowledges every confirmable POST with 2.04 and prints one JSON
line per request: {"path": "a/b", "payloadHex": "..."}. Block-wise transfers are not needed (Notify Records are small).

  coap-sink.py PORT
"""
import json
import socket
import sys


def options(data, i):
    number = 0
    path = []
    while i < len(data) and data[i] != 0xFF:
        delta, length = data[i] >> 4, data[i] & 0x0F
        i += 1
        if delta == 13:
            delta = data[i] + 13; i += 1
        elif delta == 14:
            delta = (data[i] << 8 | data[i + 1]) + 269; i += 2
        if length == 13:
            length = data[i] + 13; i += 1
        elif length == 14:
            length = (data[i] << 8 | data[i + 1]) + 269; i += 2
        number += delta
        if number == 11:
            path.append(data[i:i + length].decode())
        i += length
    return path, i


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", int(sys.argv[1])))
    print(json.dumps({"event": "listening"}), flush=True)
    while True:
        data, peer = sock.recvfrom(65535)
        if len(data) < 4:
            continue
        kind, tkl, code = (data[0] >> 4) & 3, data[0] & 0x0F, data[1]
        mid, token = data[2:4], data[4:4 + tkl]
        if code == 0:
            continue
        path, i = options(data, 4 + tkl)
        payload = data[i + 1:] if i < len(data) else b""
        if kind == 0:
            sock.sendto(bytes([0x60 | tkl, 0x44]) + mid + token, peer)
        print(json.dumps({"event": "request", "path": "/".join(path), "code": code, "payloadHex": payload.hex()}), flush=True)


if __name__ == "__main__":
    main()
