"""Wire protocol v1 framing: 4-byte big-endian length + one MessagePack map (docs/protocol.md).

Pure functions, no I/O; safe from any thread.
"""
import struct

import msgpack

PROTOCOL_VERSION = 1
# The daemon's default frame limit; a larger reply would be refused by the daemon anyway, and a
# header announcing more means the stream is corrupt.
MAX_FRAME_BYTES = 1 << 31

_HEADER = struct.Struct(">I")
HEADER_SIZE = _HEADER.size


def encode_frame(message):
    """Encodes one request map as a whole frame (header + payload)."""
    payload = msgpack.packb(message, use_bin_type=True)
    return _HEADER.pack(len(payload)) + payload


def frame_length(header):
    """The payload length announced by a 4-byte header."""
    (length,) = _HEADER.unpack(header)
    return length


def decode_payload(payload):
    """Decodes one reply payload into a dict. Raises ValueError if it is not one map."""
    try:
        message = msgpack.unpackb(payload, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ValueError(f"invalid MessagePack reply: {exc}") from exc
    if not isinstance(message, dict):
        raise ValueError("reply is not a map")
    return message
