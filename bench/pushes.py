"""Makes the pushes bench/run sends: unique, signed and encrypted WeChat
pushes (safe mode, XML) made with Python's `cryptography` — an
implementation independent of the project's own crypto — or WeChat Cloud
Run's plain JSON pushes. One line per push: "<path>\t<body>".

Usage: pushes.py <xml|cloudrun> <count> <out-file> <authorizer-appid>
                 <component-appid> <token> <encoding-aes-key>
Every message is about 600 bytes of plaintext, as a typical text message
with its envelope.
"""

import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from wxcrypt import encrypt, sha1  # noqa: E402  (tests/wxcrypt.py)


FILLER = "这是一条基准测试消息 benchmark message " * 6


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    kind, count, out, appid, component_appid, token, aes_key = sys.argv[1:]
    count = int(count)
    key = base64.b64decode(aes_key + "=")
    now = str(int(time.time()))
    to = f"gh_{appid[-12:]}"
    with open(out, "w", encoding="utf-8") as f:
        for i in range(count):
            msg_id = 7_000_000_000_000_000 + i
            sender = f"obench{i:010d}"
            if kind == "cloudrun":
                body = json.dumps(
                    {
                        "ToUserName": to,
                        "FromUserName": sender,
                        "CreateTime": int(now),
                        "MsgType": "text",
                        "Content": FILLER,
                        "MsgId": msg_id,
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                f.write(f"/wxcallback/biz/{appid}\t{body}\n")
                continue
            plaintext = (
                f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
                f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{FILLER}]]></Content>"
                f"<MsgId>{msg_id}</MsgId></xml>"
            )
            encrypted = encrypt(key, plaintext, component_appid)
            nonce = f"{i:010d}"
            query = (
                f"signature={sha1(token, now, nonce)}&timestamp={now}&nonce={nonce}"
                f"&openid={sender}&encrypt_type=aes&msg_signature={sha1(token, now, nonce, encrypted)}"
            )
            body = f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            f.write(f"/wxcallback/biz/{appid}?{query}\t{body}\n")


if __name__ == "__main__":
    main()
