"""A stream of signed, encrypted WeChat pushes, made here with Python's
`cryptography` (not the project's own crypto), sent to the platform's
callback; halfway, a command of the caller's choice runs (the compose test
restarts the database container with it).

Prints one JSON object: the MsgIds answered `success` (`acked`), how many
were answered otherwise (`refused`, by status), and how many answers came
while the command ran (`during_command`).

Usage: pushes.py <callback-base-url> <authorizer-appid> <component-appid>
                 <token> <encoding-aes-key> <count> <tag> <after> <command>
  <after>   the push after which <command> runs (in the background)
"""

import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wxcrypt import encrypt, sha1  # noqa: E402  (tests/wxcrypt.py)


def main():
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    base, appid, component_appid, token, aes_key, count, tag, after, command = sys.argv[1:]
    count, after = int(count), int(after)
    key = base64.b64decode(aes_key + "=")
    acked, refused = [], {}
    lock = threading.Lock()

    def push(i):
        msg_id = f"{tag}{i:06d}"
        now = str(int(time.time()))
        plaintext = (
            f"<xml><ToUserName><![CDATA[gh_{appid[-12:]}]]></ToUserName>"
            f"<FromUserName><![CDATA[o{msg_id}]]></FromUserName><CreateTime>{now}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
            f"<EventKey><![CDATA[{msg_id}]]></EventKey></xml>"
        )
        encrypted = encrypt(key, plaintext, component_appid)
        nonce = f"{i:08d}"
        query = urllib.parse.urlencode(
            {
                "signature": sha1(token, now, nonce),
                "timestamp": now,
                "nonce": nonce,
                "openid": f"o{msg_id}",
                "encrypt_type": "aes",
                "msg_signature": sha1(token, now, nonce, encrypted),
            }
        )
        body = f"<xml><ToUserName><![CDATA[gh_{appid[-12:]}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        request = urllib.request.Request(
            f"{base}/wxcallback/biz/{appid}?{query}",
            data=body.encode(),
            headers={"Content-Type": "text/xml"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, ""
        except OSError as e:
            status, text = 0, str(e)
        with lock:
            if status == 200 and text == "success":
                acked.append(msg_id)
            else:
                refused[str(status)] = refused.get(str(status), 0) + 1
            if running.is_set():
                during[0] += 1
        if i == after:
            threading.Thread(target=run_command, daemon=True).start()
        # A stream, not a burst: the restart lands in the middle of it.
        time.sleep(0.05)

    running = threading.Event()
    during = [0]

    def run_command():
        running.set()
        subprocess.run(command, shell=True, check=False)
        running.clear()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(push, range(count)))
    # How many pushes were answered while the command ran: the restart
    # really was in the middle of the stream.
    print(json.dumps({"acked": acked, "refused": refused, "during_command": during[0]}))


if __name__ == "__main__":
    main()
