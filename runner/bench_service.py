"""Service benchmark: /sample vs a trivial /echo (rps), and binary /sample vs the bare core.

Also measured, as the bound of the rps ratio: /echo/bare-sample, the least any JSON sampling
endpoint served this way can do (parse, one softmax draw, encode; no validation).

Run: .venv/bin/python -m runner.bench_service [--seconds 5] [--rounds 3] [--clients 4]
First times one in-process WSGI call of each endpoint (no server, no socket: the app's own
cost). Then starts `logitlab serve` with LOGITLAB_ENABLE_ECHO=1 on a free loopback port, runs
bounded closed-loop HTTP clients against it, prints a markdown table, and stops the server.
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # the bare core call gets the same single thread as a worker

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(port: int, path: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", path, body, {"Content-Type": content_type})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _client(port: int, path: str, body: bytes, seconds: float, out: "mp.Queue") -> None:
    done = failed = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        status, _, _ = _post(port, path, body, "application/json")
        done += 1
        failed += status != 200
    out.put((done, failed))


def worker_cpu_seconds(server_pid: int) -> float:
    """CPU time (user + system) used so far by the server's worker processes (Linux /proc)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def throughput(port: int, path: str, body: bytes, clients: int, seconds: float) -> float:
    """Requests per second of `clients` closed-loop processes over `seconds`."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(port, path, body, seconds, out))
             for _ in range(clients)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(30)
    if any(failed for _, failed in results):
        raise RuntimeError(f"{path}: {sum(f for _, f in results)} non-200 responses")
    return sum(done for done, _ in results) / seconds


# Larger than the per-core caches of the machines seen here (L2 up to 4 MiB in all).
FLUSH_BYTES = 16 << 20


def in_process_us(body: bytes, paths: tuple[str, ...], rounds: int = 7,
                  calls: int = 1000, flush: bool = False) -> dict[str, float]:
    """Median microseconds of one WSGI call of the app per path, without server or socket.

    Each call gets a fresh environ built beforehand (outside the timing) for the same JSON
    body; the paths alternate round by round, and a round's median is taken over `calls`.
    With `flush`, a 16 MiB buffer is read before each call (outside the timing), so the call
    starts with its code and data out of the per-core caches, as in a served worker where
    the clients and the other worker run between two requests.
    """
    buffer = np.ones(FLUSH_BYTES if flush else 1, dtype=np.uint8)
    from werkzeug.test import EnvironBuilder

    from service import create_app

    app = create_app({"ENABLE_ECHO": True, "LOG_LEVEL": "WARNING"})

    def start_response(status: str, headers: list, exc_info=None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"in-process call answered {status}")

    def call(path: str) -> float:
        environ = EnvironBuilder(path=path, method="POST", data=body,
                                 content_type="application/json").get_environ()
        if flush:
            buffer.sum()
        start = time.perf_counter()
        chunks = app(environ, start_response)
        b"".join(chunks)
        chunks.close()
        return time.perf_counter() - start

    for path in paths:  # warm every path
        for _ in range(min(calls, 200)):
            call(path)
    medians: dict[str, list[float]] = {path: [] for path in paths}
    for _ in range(rounds):
        for path in paths:
            medians[path].append(statistics.median(call(path) for _ in range(calls)))
    return {path: statistics.median(values) * 1e6 for path, values in medians.items()}


def start_server(workers: int, checkout: Path | None = None) -> tuple[subprocess.Popen, int]:
    """`logitlab serve` with /echo on a free port; from another `checkout`'s code if given."""
    port = _free_port()
    script = Path(sys.executable).with_name("logitlab")
    command = [str(script)] if script.exists() and checkout is None else [
        sys.executable, "-c", "from runner.cli import main; main()"]
    env = {**os.environ, "LOGITLAB_ENABLE_ECHO": "1", "LOGITLAB_LOG_LEVEL": "WARNING"}
    if checkout is not None:  # `python -c` puts the working directory first on the path
        env["PYTHONPATH"] = str(checkout)
    server = subprocess.Popen([*command, "serve", "--port", str(port), "--workers",
                               str(workers), "--log-level", "warning"], env=env, cwd=checkout)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--requests", type=int, default=200, help="binary latency requests")
    args = parser.parse_args()

    from service import allocator
    from service.sampling import sample

    allocator.tune()  # as in the server's workers (`logitlab` sets it before forking them)

    rng = np.random.default_rng(0)
    body = json.dumps({"logits": rng.normal(0, 3, 1000).round(4).tolist(), "seed": 1}).encode()
    big = rng.normal(0, 3, (1, 128_256)).astype("<f4")
    names = ("echo", "sample", "echo/bare-sample")
    # Before the server starts, so that nothing else competes for the cores.
    direct = in_process_us(body, tuple(f"/{name}" for name in names))
    flushed = in_process_us(body, tuple(f"/{name}" for name in names), flush=True)
    server, port = start_server(args.workers)
    try:
        for _ in range(20):  # warm every endpoint in every worker
            for name in names:
                _post(port, f"/{name}", body, "application/json")
        rates: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}  # worker CPU ms per request
        for _ in range(args.rounds):
            for name in names:
                before = worker_cpu_seconds(server.pid)
                rate = throughput(port, f"/{name}", body, args.clients, args.seconds)
                used = worker_cpu_seconds(server.pid) - before
                rates[name].append(rate)
                cpu[name].append(used * 1000 / (rate * args.seconds))
        echo, samp, bare = rates["echo"], rates["sample"], rates["echo/bare-sample"]
        # Where a V=1000 request's server time goes: /echo, /sample and the bare core call.
        small = {"echo": [], "sample": [], "core": []}
        row = np.asarray(json.loads(body)["logits"])
        for _ in range(args.requests):
            for name in ("echo", "sample"):
                _, headers, _ = _post(port, f"/{name}", body, "application/json")
                small[name].append(float(headers["Server-Timing"].split("dur=")[1]))
            start = time.perf_counter()
            sample(row, seed=1)
            small["core"].append((time.perf_counter() - start) * 1000)
        # Alternate HTTP requests and bare core calls so both see the same machine load.
        server_ms, client_ms, core_ms, echo_ms, multipart_ms = [], [], [], [], []
        raw = big.tobytes()
        parts = (b"--cut\r\nContent-Disposition: form-data; name=\"logits\"; filename=\"l\"\r\n"
                 b"Content-Type: application/octet-stream\r\n\r\n" + raw + b"\r\n--cut\r\n"
                 b"Content-Disposition: form-data; name=\"params\"\r\n\r\n{\"seed\": 1}\r\n"
                 b"--cut--\r\n")
        view = np.frombuffer(raw, dtype="<f4").reshape(1, -1)
        for _ in range(args.requests):
            start = time.perf_counter()
            status, headers, _ = _post(port, "/sample?vocab=128256&seed=1", raw,
                                       "application/octet-stream")
            client_ms.append((time.perf_counter() - start) * 1000)
            assert status == 200, status
            server_ms.append(float(headers["Server-Timing"].split("dur=")[1]))
            start = time.perf_counter()
            sample(view, seed=1)
            core_ms.append((time.perf_counter() - start) * 1000)
            _, headers, _ = _post(port, "/echo", raw, "application/octet-stream")
            echo_ms.append(float(headers["Server-Timing"].split("dur=")[1]))
            status, headers, _ = _post(port, "/sample?vocab=128256", parts,
                                       "multipart/form-data; boundary=cut")
            assert status == 200, status
            multipart_ms.append(float(headers["Server-Timing"].split("dur=")[1]))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    e, s, b = statistics.median(echo), statistics.median(samp), statistics.median(bare)
    # Each round's /sample rate against the /echo rate measured just before it: the spread
    # shows how much of a difference between two runs the machine's own noise can explain.
    paired = [sample_rate / echo_rate for sample_rate, echo_rate in zip(samp, echo, strict=True)]
    srv, core = statistics.median(server_ms), statistics.median(core_ms)
    print(f"\n| measure | value |\n| --- | --- |\n"
          f"| /echo, V=1000 JSON body (req/s, median of {args.rounds}) | {e:.0f} |\n"
          f"| /sample, V=1000 JSON (req/s, median of {args.rounds}) | {s:.0f} |\n"
          f"| /sample / /echo | {s / e:.2f} (target >= 0.80) |\n"
          f"| same, round by round: median (lowest-highest) | {statistics.median(paired):.2f} "
          f"({min(paired):.2f}-{max(paired):.2f}) |\n"
          f"| bound: /echo/bare-sample / /echo | {b / e:.2f} |\n"
          f"| V=1000 in-process (one WSGI call, no server), median µs: /echo, /sample, bare | "
          f"{' / '.join(f'{value:.1f}' for value in direct.values())} |\n"
          f"| same, caches flushed before each call, median µs: /echo, /sample, bare | "
          f"{' / '.join(f'{value:.1f}' for value in flushed.values())} |\n"
          f"| V=1000 worker CPU per request, median ms: /echo, /sample, bare | "
          f"{' / '.join(f'{statistics.median(cpu[name]):.3f}' for name in names)} |\n"
          f"| V=1000 server-side median ms: /echo, /sample, bare core | "
          f"{' / '.join(f'{statistics.median(v):.3f}' for v in small.values())} |\n"
          f"| bare core `sample`, V=128256 B=1 float32 (median ms) | {core:.3f} |\n"
          f"| /sample octet-stream, same logits, server-side (median ms) | {srv:.3f} |\n"
          f"| server-side / core | {srv / core:.2f} (target <= 2) |\n"
          f"| /echo of the same 513 KB body, server-side (median ms: reading it) | "
          f"{statistics.median(echo_ms):.3f} |\n"
          f"| same request, client round trip (median ms) | "
          f"{statistics.median(client_ms):.3f} |\n"
          f"| same logits as multipart, seed in a params part, server-side (median ms) | "
          f"{statistics.median(multipart_ms):.3f} |\n"
          f"\nrounds: echo {[round(x) for x in echo]}, sample {[round(x) for x in samp]}, "
          f"bare {[round(x) for x in bare]}; "
          f"workers={args.workers}, clients={args.clients}, {args.seconds:g} s per round")


if __name__ == "__main__":
    main()
