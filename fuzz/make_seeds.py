#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed-*) from the test vectors:
the hex frames of docs/protocol.md section 10 and the hostile hydration cases of
tests/vectors/hydration.json, plus a few hand-made inputs for paths the vectors do not reach.
Re-run it after changing either file; it replaces only the seed-* files, never what the fuzzer
added (fuzz/corpus/<target>/<sha1>, committed after a campaign by scripts/fuzz --merge)."""
import hashlib
import json
import pathlib
import re
import struct

import msgpack

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def protocol_frames():
    """Every ``` block of hex bytes in docs/protocol.md, as bytes."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    frames = []
    for block in re.findall(r"```\n((?:[0-9a-f]{2}(?: [0-9a-f]{2})*\n)+)```", text):
        frames.append(bytes.fromhex(block.replace("\n", " ")))
    return frames


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def request(**fields):
    return frame(msgpack.packb(fields, use_bin_type=True))


def hydration_cases():
    return json.loads((ROOT / "tests" / "vectors" / "hydration.json").read_text())


def props_values():
    values = [case["props"] for case in hydration_cases()]
    values += [
        {},
        {"n": [0, -1, 127, 128, -33, 2**32, -(2**31) - 1, 2**53 - 1, 2**53, 2**64 - 1, -(2**63)]},
        {"f": [0.5, -0.0, 1e308, float("inf")], "b": [True, False, None]},
        {"bin": b"\x00\x01\xff", "s": "\u2028\u00fc\U0001F600"},
        {"deep": [[[[[[[[{"x": 1}]]]]]]]]},
    ]
    return [msgpack.packb(v, use_bin_type=True) for v in values] + [
        b"\x81\x01\xa1x",           # an integer key
        b"\x81\xff\xa1x",           # a negative integer key
        b"\xc0",                    # nil: the empty props
    ]


def seeds():
    frames = protocol_frames()
    assert len(frames) >= 10, "docs/protocol.md section 10 not found"
    handmade = [
        request(id=9, op="cancel", target=8),
        request(id=10, op="stats"),
        request(id=11, v=1, op="render", component="Page", props={"a": 1}, url="/x?y=1",
                timeout_ms=250, hydrate=True, hydrate_global="__DATA__", combine=True,
                nonce="abc+/=", stream=False),
        request(id=12, op="render", component="Page", props=None, hydrate_id="app:root.1-x"),
        b"".join(frames[:2]),              # two frames in one read
        b"\x7f\xff\xff\xff",               # a header past every limit
        b"\x00\x00\x00\x00",               # an empty payload
    ]
    yield "request", frames + handmade
    yield "reply", frames + handmade[-3:]
    yield "props", props_values()
    hydration = []
    for case in hydration_cases():
        document = {"component": case["component"], "props": case["props"]}
        hydration.append(b"\x00" + json.dumps(document, ensure_ascii=False).encode())
        hydration.append(b"\x00" + json.dumps(document, indent=1).encode())
        hydration.append(b"\x01" + case["component"].encode())
    hydration.append(b"\x01</ScRiPt ><!--<script>\xe2\x80\xa8\xe2\x80\xa9&amp;\xff")
    yield "hydration", hydration


def main():
    for target, inputs in seeds():
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("seed-*"):
            old.unlink()
        for data in inputs:
            name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
            (directory / name).write_bytes(data)
        print(f"{target}: {len(list(directory.glob('seed-*')))} seeds")


if __name__ == "__main__":
    main()
