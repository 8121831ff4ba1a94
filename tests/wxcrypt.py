"""WeChat's push crypto (WXBizMsgCrypt) written independently of the
project's Rust code, with Python's `cryptography`: what the compose test
and the benchmark push with, so a shared misunderstanding of the wire format
cannot hide on both sides."""

import base64
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def sha1(*parts):
    """WeChat's signature: sha1 over the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt(key, plaintext, receive_id):
    """WeChat's message encryption: 16 random bytes, the length (network
    order), the message, the receiver's appid; PKCS#7 to 32-byte blocks;
    AES-256-CBC with the key's first 16 bytes as IV."""
    message = plaintext.encode()
    raw = os.urandom(16) + struct.pack(">I", len(message)) + message + receive_id.encode()
    pad = 32 - len(raw) % 32
    raw += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(raw) + encryptor.finalize()).decode()
