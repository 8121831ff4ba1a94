"""bench/run's driver (not a test: nothing here passes or fails). Starts the
release binaries on loopback, drives them from second processes (wrk,
mysqlslap, Python threads) and prints one Markdown report: the machine, the
date, and every figure with the ratio it is judged by, all measured in this
run. See bench/README.md for what each section measures and why.

Environment: BENCH_DURATION (s per load run, 10), BENCH_CONNECTIONS
("8,32,128"), BENCH_MYSQL_URL (mysql://wxc:wxc@127.0.0.1:3306/wxc_bench;
"" skips MySQL), BENCH_SECTIONS ("ceilings,ingest,gateway,tokens,crypto,
services"), BENCH_OUT (report file, target/bench/report.md). Any WXC__*
variable set for bench/run reaches every service (settings under test).
"""

import base64
import concurrent.futures
import datetime
import json
import os
import platform
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "8,32,128").split(",")]
MYSQL_URL = os.environ.get("BENCH_MYSQL_URL", "mysql://wxc:wxc@127.0.0.1:3306/wxc_bench")
SECTIONS = os.environ.get("BENCH_SECTIONS", "ceilings,ingest,gateway,tokens,crypto,services").split(",")
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "target", "bench", "report.md"))

COMPONENT_APPID = "wxcomponentsim0001"
COMPONENT_SECRET = "wxsim-component-secret"
TOKEN = "wxsimtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
ACCOUNT = "wxbenchaccount0001"
INNER_TOKEN = "bench-inner-token"
PASSWORD = "bench-password"
PORTS = {
    "gateway": 28080,
    "internal": 28090,
    "metrics": 28091,
    "callback": 28081,
    "admin": 28082,
    "business": 28083,
    "wxsim": 28101,
}
CLK_TCK = os.sysconf("SC_CLK_TCK")

report = []


def say(line=""):
    print(line, flush=True)
    report.append(line)


def log(line):
    print(f"    {line}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


def url(service, path=""):
    return f"http://127.0.0.1:{PORTS[service]}{path}"


def env_for(db_url, work):
    """The stack's settings, as start.sh sets them, on the bench's ports."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "WXC__LOG__LEVEL": "warn",
        "WXC__DATABASE__URL": db_url,
        "WXC__DATABASE__POOL_SIZE": "16",
        "WXC__SECRETS__KEY_PATH": os.path.join(work, "master.key"),
        "WXC__CALLBACK__HOST": "127.0.0.1",
        "WXC__CALLBACK__PORT": str(PORTS["callback"]),
        "WXC__CALLBACK__CLOUDRUN_MODE": "true",
        # The pushes are made before the runs; a bench takes minutes.
        "WXC__CALLBACK__MAX_CLOCK_SKEW_SECS": "7200",
        "WXC__ADMIN__HOST": "127.0.0.1",
        "WXC__ADMIN__PORT": str(PORTS["admin"]),
        "WXC__ADMIN__USERNAME": "admin",
        "WXC__ADMIN__PASSWORD": PASSWORD,
        "WXC__ADMIN__INNER_TOKEN": INNER_TOKEN,
        "WXC__BUSINESS__HOST": "127.0.0.1",
        "WXC__BUSINESS__PORT": str(PORTS["business"]),
        "WXC__BUSINESS__INNER_TOKEN": INNER_TOKEN,
        "WXC__BUSINESS__API_TOKEN": "bench-api-token",
        "WXC__BUSINESS__INNER_API_URL": url("internal"),
        "WXC_GATEWAY_CONFIG": os.path.join(ROOT, "deploy", "gateway.yaml"),
        "WXC__GATEWAY__LISTEN": f"127.0.0.1:{PORTS['gateway']}",
        "WXC__GATEWAY__INTERNAL_LISTEN": f"127.0.0.1:{PORTS['internal']}",
        "WXC__GATEWAY__METRICS_LISTEN": f"127.0.0.1:{PORTS['metrics']}",
        "WXC__GATEWAY__SERVICES__CALLBACK__ADDRESS": f"127.0.0.1:{PORTS['callback']}",
        "WXC__GATEWAY__SERVICES__ADMIN__ADDRESS": f"127.0.0.1:{PORTS['admin']}",
        "WXC__GATEWAY__SERVICES__BUSINESS__ADDRESS": f"127.0.0.1:{PORTS['business']}",
        "WXC__GATEWAY__ADMIN_ROUTES__INNER_TOKEN": INNER_TOKEN,
        # The load comes from one address; the per-IP limit would measure itself.
        "WXC__GATEWAY__RATE_LIMIT__REQUESTS_PER_SEC": "1000000",
        "WXC__GATEWAY__RATE_LIMIT__BURST": "1000000",
        "WXC__GATEWAY__LOG__LEVEL": "warn",
        "WXC__WECHAT__COMPONENT_APPID": COMPONENT_APPID,
        "WXC__WECHAT__COMPONENT_SECRET": COMPONENT_SECRET,
        "WXC__WECHAT__TOKEN": TOKEN,
        "WXC__WECHAT__ENCODING_AES_KEY": AES_KEY,
        "WXC__WECHAT__API_BASE_URL": url("wxsim"),
        "WXC__TOKENS__REFRESH_INTERVAL_SECS": "3600",
        "WXC__TOKENS__CACHE_TTL_SECS": "1",
        "WXSIM__HOST": "127.0.0.1",
        "WXSIM__PORT": str(PORTS["wxsim"]),
        "WXSIM__CALLBACK_URL": url("callback"),
        "WXSIM__COMPONENT_APPID": COMPONENT_APPID,
        "WXSIM__COMPONENT_SECRET": COMPONENT_SECRET,
        "WXSIM__TOKEN": TOKEN,
        "WXSIM__ENCODING_AES_KEY": AES_KEY,
    }
    # Settings under test: bench/run's own WXC__* variables win.
    env.update({k: v for k, v in os.environ.items() if k.startswith("WXC__")})
    return env


HEALTH = {
    "callback": "/healthz",
    "admin": "/healthz",
    "business": "/healthz",
    "gateway": "/healthz",
    "wxsim": "/__sim/healthz",
}


class Service:
    """One release binary, started now; `healthy_after` is the time from
    spawning it to its first 200 on its health URL."""

    def __init__(self, name, env, work, args=()):
        self.name = name
        self.log = open(os.path.join(work, f"{name}.log"), "ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(BIN, name), *args], env=env, stdout=self.log, stderr=self.log, cwd=ROOT
        )
        deadline = started + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} exited at start; see {self.log.name}")
            if http_status(url(name, HEALTH[name])) == 200:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} not healthy after 60 s; see {self.log.name}")
            time.sleep(0.005)
        self.healthy_after = time.monotonic() - started

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_secs(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def http_status(target, method="GET", body=None, headers=None):
    request = urllib.request.Request(target, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, ConnectionError, OSError):
        return 0


def http_json(target, method="GET", payload=None, headers=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        target, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs).stdout


# ---------------------------------------------------------------- wrk


def wrk(target, connections, duration, script=None, args=(), headers=()):
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    for header in headers:
        argv += ["-H", header]
    if script:
        argv += ["-s", script]
    argv.append(target)
    if args:
        argv += ["--", *args]
    out = run(argv)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = non2xx + (sum(int(n) for n in socket.groups()) if socket else 0)
    return {
        "rps": rps,
        "total": total,
        "errors": errors,
        "p50": latency(out, "50%"),
        "p99": latency(out, "99%"),
        "wrapped": "WRAPPED" in out,
    }


def latency(out, percentile):
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def ms(value):
    return f"{value:.2f} ms"


# ---------------------------------------------------------------- databases


class Mysql:
    def __init__(self, dsn):
        parsed = urllib.parse.urlparse(dsn)
        self.user, self.password = parsed.username, parsed.password or ""
        self.host, self.port = parsed.hostname, parsed.port or 3306
        self.database = parsed.path.lstrip("/")
        self.dsn = dsn

    def cli(self, sql, database=""):
        argv = [
            "mysql", "-N", "-B", f"-h{self.host}", f"-P{self.port}", f"-u{self.user}",
            f"-p{self.password}", "-e", sql,
        ]
        if database:
            argv.append(database)
        return run(argv).strip()

    def fresh(self):
        self.cli(f"DROP DATABASE IF EXISTS `{self.database}`; CREATE DATABASE `{self.database}`")
        return self.dsn

    def count(self, table):
        return int(self.cli(f"SELECT COUNT(*) FROM `{table}`", self.database))

    def version(self):
        return self.cli("SELECT VERSION()")


class Sqlite:
    def __init__(self, work):
        self.path = os.path.join(work, "bench.db")

    def fresh(self):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)
        return f"sqlite://{self.path}"

    def count(self, table):
        with sqlite3.connect(self.path) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def databases(work):
    dbs = [("SQLite", Sqlite(work))]
    if MYSQL_URL:
        dbs.append(("MySQL", Mysql(MYSQL_URL)))
    return dbs


# ---------------------------------------------------------------- sections


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    say(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}")
    say(f"- machine: {os.cpu_count()} CPUs ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB, {platform.platform()}")
    say(f"- commit: {run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD']).strip()}")
    say(f"- load: wrk 1 thread on loopback, {DURATION} s per run; servers on the same {os.cpu_count()} CPUs")


def ceilings(work):
    """The databases' own single-row insert rates, the yardstick of ingest."""
    say("\n## Database ceilings: single-row inserts, one commit each")
    say("| database | connections | inserts/s |")
    say("|---|---:|---:|")
    result = {}
    path = os.path.join(work, "ceiling.db")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    body = "x" * 600
    n, start = 0, time.monotonic()
    while time.monotonic() - start < 3:
        for _ in range(1000):
            conn.execute("INSERT INTO t (body) VALUES (?)", (body,))
        n += 1000
    rate = n / (time.monotonic() - start)
    conn.close()
    result["SQLite"] = {1: rate}
    say(f"| SQLite (Python sqlite3, WAL, synchronous=NORMAL) | 1 | {rate:,.0f} |")
    if MYSQL_URL:
        mysql = Mysql(MYSQL_URL)
        result["MySQL"] = {}
        for c in CONNECTIONS:
            queries = 40000
            out = run([
                "mysqlslap", f"-h{mysql.host}", f"-P{mysql.port}", f"-u{mysql.user}",
                f"-p{mysql.password}", "--create-schema=wxc_bench_slap", f"--concurrency={c}",
                "--iterations=1", f"--number-of-queries={queries}",
                "--create=CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL) ENGINE=InnoDB",
                "--query=INSERT INTO t (body) VALUES (REPEAT('x', 600))",
            ])
            secs = float(re.search(r"Average number of seconds to run all queries: ([\d.]+)", out).group(1))
            rate = queries / secs
            result["MySQL"][c] = rate
            say(f"| MariaDB {mysql.version()} (mysqlslap, InnoDB, durable defaults) | {c} | {rate:,.0f} |")
    return result


def pushes_files(work):
    count = max(50000, DURATION * 40000)
    files = {}
    for kind in ("xml", "cloudrun"):
        path = os.path.join(work, f"pushes-{kind}.txt")
        log(f"making {count} {kind} pushes")
        run([sys.executable, os.path.join(ROOT, "bench", "pushes.py"), kind, str(count), path,
             ACCOUNT, COMPONENT_APPID, TOKEN, AES_KEY])
        files[kind] = path
    return files


def ingest(work, ceiling):
    say("\n## Push ingest")
    say("Unique pushes (bench/pushes.py: Python `cryptography`, not the project's crypto), each "
        "sent once; the database is new for each run. `stored` is the rows counted afterwards "
        "against the answers 200 (`=`: every acknowledged push stored, none twice). CPU: the "
        "callback's (and the gateway's) user+system time per push.")
    say("| database | format | path | conns | pushes/s | p50 | p99 | CPU/push | errors | stored | vs ceiling |")
    say("|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
    files = pushes_files(work)
    best = {}
    for db_name, db in databases(work):
        for kind, label in (("xml", "encrypted XML"), ("cloudrun", "Cloud Run JSON")):
            for path in ("direct", "gateway"):
                for c in CONNECTIONS:
                    env = env_for(db.fresh(), work)
                    services = [Service("callback", env, work)]
                    if path == "gateway":
                        services.append(Service("gateway", env, work))
                    target = url("callback" if path == "direct" else "gateway")
                    cpu0 = sum(s.cpu_secs() for s in services)
                    result = wrk(target, c, DURATION, os.path.join(ROOT, "bench", "pushes.lua"),
                                 [files[kind], kind])
                    cpu = sum(s.cpu_secs() for s in services) - cpu0
                    for s in reversed(services):
                        s.stop()
                    rows, keys = db.count("wxcallback_biz"), db.count("wxcallback_dedup")
                    ok = result["total"] - result["errors"]
                    stored = "=" if keys == rows and ok <= rows <= result["total"] + c else f"{rows} rows, {keys} keys, {ok} acked"
                    if result["wrapped"]:
                        stored += " (pool wrapped: retries)"
                    ref = ceiling.get(db_name, {})
                    ref = ref.get(c) or ref.get(1)
                    ratio = f"{result['rps'] / ref:.0%}" if ref else ""
                    say(f"| {db_name} | {label} | {path} | {c} | {result['rps']:,.0f} | {ms(result['p50'])} | "
                        f"{ms(result['p99'])} | {cpu / max(result['total'], 1) * 1e6:.0f} µs | {result['errors']} | "
                        f"{stored} | {ratio} |")
                    key = (db_name, path)
                    best[key] = max(best.get(key, 0), result["rps"])
    return best


def gateway_section(work):
    say("\n## Gateway: the same GET direct, through the gateway, through nginx, through bare pingora")
    out = os.path.join(work, "gateway.md")
    script = os.path.join(ROOT, "bench", "gateway.sh")
    env = dict(os.environ, OUT=out, DURATION=str(DURATION))
    subprocess.run([script], check=True, env=env, stdout=sys.stderr)
    with open(out) as f:
        for line in f:
            say(line.rstrip("\n"))


def tokens(work):
    say("\n## Tokens (admin's inner API, SQLite)")
    env = env_for(Sqlite(work).fresh(), work)
    services = [Service(name, env, work, args) for name, args in
                (("admin", ()), ("callback", ()), ("wxsim", ("serve",)))]
    try:
        authorize(work)
        auth = [f"Authorization: Bearer {INNER_TOKEN}"]
        lookup = url("admin", f"/inner/authorizer-access-token?appid={ACCOUNT}")
        wait_for(lambda: inner_token(lookup) is not None)
        result = wrk(lookup, 32, DURATION, headers=auth)
        say("| measure | value |")
        say("|---|---:|")
        say(f"| cached `/inner/authorizer-access-token`, 32 connections | {result['rps']:,.0f} req/s, "
            f"p50 {ms(result['p50'])}, p99 {ms(result['p99'])}, errors {result['errors']} |")
        storm = refresh_storm(work, lookup)
        say(f"| refresh storm: 1,000 concurrent requests at expiry | {storm['calls']} WeChat call(s) "
            f"(`api_authorizer_token`), {storm['ok']}/1000 answered with the new token in {storm['secs']:.2f} s |")
        return result["rps"], storm["calls"]
    finally:
        for s in reversed(services):
            s.stop()


def authorize(work):
    """A ticket pushed and one account authorized, through wxsim and the callback."""
    http_json(url("wxsim", "/__sim/push/ticket"), "POST", {})
    code = http_json(url("wxsim", "/__sim/preauthcode"), "POST", {})["pre_auth_code"]
    done = http_json(url("wxsim", "/__sim/authorize"), "POST",
                     {"pre_auth_code": code, "authorizer_appid": ACCOUNT, "is_mini_program": False})
    if not done.get("push", {}).get("delivered", True):
        raise SystemExit(f"authorization push not delivered: {done}")


def inner_token(lookup):
    """The token the inner API hands out, or None while it has none."""
    try:
        answer = http_json(lookup, headers={"Authorization": f"Bearer {INNER_TOKEN}"})
    except (urllib.error.URLError, OSError):
        return None
    return answer["data"] if answer.get("code") == 0 else None


def wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the stack")
        time.sleep(0.1)


def refresh_storm(work, lookup):
    """The account's token expired (as stored) and 1,000 requests at once:
    one refresh, every caller gets the new token."""
    calls_url = url("wxsim", "/__sim/calls")
    path = "/cgi-bin/component/api_authorizer_token"
    old = inner_token(lookup)
    before = http_json(calls_url)["paths"].get(path, 0)
    db = sqlite3.connect(os.path.join(work, "bench.db"))
    db.execute("UPDATE wxtoken SET expiretime = '2000-01-01 00:00:00' WHERE appid = ?", (ACCOUNT,))
    db.commit()
    db.close()
    time.sleep(1.5)  # past tokens.cache_ttl_secs: the admin's cache re-reads the database
    barrier = threading.Barrier(1000)

    def one(_):
        barrier.wait()
        return inner_token(lookup)

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1000) as pool:
        tokens = list(pool.map(one, range(1000)))
    secs = time.monotonic() - start
    calls = http_json(calls_url)["paths"].get(path, 0) - before
    fresh = sum(1 for t in tokens if t is not None and t != old)
    return {"calls": calls, "ok": fresh, "secs": secs}


def crypto():
    say("\n## Crypto and parsing (criterion, `cargo bench -p common --bench crypto`)")
    out = subprocess.run(
        ["cargo", "bench", "-q", "-p", "common", "--bench", "crypto", "--", "--noplot"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    say("| operation | time per call |")
    say("|---|---:|")
    for name, estimate in re.findall(r"^(\S[^\n]*?)\s+time:\s+\[\S+ \S+ (\S+ \S+) \S+ \S+\]", out, re.M):
        say(f"| {name.strip()} | {estimate} |")


def services_section(work):
    say("\n## Services: start to healthy, resident memory (SQLite)")
    env = env_for(Sqlite(work).fresh(), work)
    order = [("wxsim", ("serve",)), ("admin", ()), ("callback", ()), ("business", ()), ("gateway", ())]
    services = {}
    try:
        for name, args in order:
            services[name] = Service(name, env, work, args)
        time.sleep(2)
        idle = {name: s.rss_mb() for name, s in services.items()}
        load_stack(work)
        after = {name: s.rss_mb() for name, s in services.items()}
        say("| service | start → healthy | RSS idle | RSS after 60 s of load |")
        say("|---|---:|---:|---:|")
        for name, s in services.items():
            say(f"| {name} | {s.healthy_after * 1000:.0f} ms | {idle[name]:.1f} MB | {after[name]:.1f} MB |")
        return services, idle, after
    finally:
        for s in reversed(list(services.values())):
            s.stop()


def load_stack(work):
    """60 s: console logins, pushes through the gateway, token lookups
    through the internal listener, the counter through the gateway."""
    for _ in range(10):
        http_json(url("gateway", "/wxcomponent/auth"), "PUT", {"username": "admin", "password": PASSWORD})
    authorize(work)
    path = os.path.join(work, "pushes-load.txt")
    run([sys.executable, os.path.join(ROOT, "bench", "pushes.py"), "xml", "400000", path,
         ACCOUNT, COMPONENT_APPID, TOKEN, AES_KEY])
    wrk(url("gateway"), 32, 20, os.path.join(ROOT, "bench", "pushes.lua"), [path, "xml"])
    wrk(url("internal", f"/inner/authorizer-access-token?appid={ACCOUNT}"), 32, 20,
        headers=[f"Authorization: Bearer {INNER_TOKEN}"])
    wrk(url("gateway", "/api/count"), 32, 20)


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    work = tempfile.mkdtemp(prefix="wxc-bench-")
    try:
        say("# wxcomponent-rs benchmark")
        machine()
        ceiling = ceilings(work) if "ceilings" in SECTIONS else {}
        if "ingest" in SECTIONS:
            ingest(work, ceiling)
        if "gateway" in SECTIONS:
            gateway_section(work)
        if "tokens" in SECTIONS:
            tokens(work)
        if "crypto" in SECTIONS:
            crypto()
        if "services" in SECTIONS:
            services_section(work)
    finally:
        with open(OUT, "w") as f:
            f.write("\n".join(report) + "\n")
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nreport written to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
