"""Training throughput while sessions watch the Train page: 0, 1, 10 and 30 watchers against the CLI alone.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_watchers.py
           [--sessions 0 1 10 30 0] [--seconds 40] [--settle 10] [--preset fast]

A training started by the CLI (its own process, as any training is now) runs
while `streamlit run app.py` serves the app on a free loopback port. Each
watcher is a websocket client that speaks Streamlit's protocol as the browser
does: it asks for the Train page, then reruns each auto-rerun fragment (the
live progress every 2 s, the charts every 5 s) at the interval the server asks
for, as the browser's timers do, without drawing anything. So what is measured
is the server's cost, which in a class runs beside the training while the
students' browsers run on their own machines. For each number of watchers the
images per second are taken from the run's live.json (the step count and the
time of its last batch) over ``--seconds``, after ``--settle`` seconds for the
sessions to connect; the list may repeat a count (0 at both ends shows drift).
Every exception element the server sends to any session is counted.
"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent


class Watcher:
    """One browser session on the Train page, as the server sees it."""

    def __init__(self, url: str):
        self.url, self.errors, self.messages, self.page_hash = url, 0, 0, ""
        self.timers: dict[str, asyncio.Task] = {}

    async def run(self, stop: asyncio.Event) -> None:
        async with websockets.connect(self.url, subprotocols=["streamlit"], max_size=None) as ws:
            self.ws = ws
            await self.send(page_name="train")
            reader = asyncio.create_task(self.read())
            await stop.wait()
            reader.cancel()
            for task in self.timers.values():
                task.cancel()

    async def send(self, **state) -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        for key, value in state.items():
            setattr(msg.rerun_script, key, value)
        await self.ws.send(msg.SerializeToString())

    async def read(self) -> None:
        async for raw in self.ws:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            self.messages += 1
            kind = msg.WhichOneof("type")
            if kind == "navigation":
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "new_session":
                self.page_hash = self.page_hash or msg.new_session.page_script_hash
            elif kind == "auto_rerun":
                fragment = msg.auto_rerun.fragment_id
                if fragment in self.timers:
                    self.timers[fragment].cancel()
                self.timers[fragment] = asyncio.create_task(self.every(msg.auto_rerun.interval, fragment))
            elif kind == "stop_auto_rerun" and msg.stop_auto_rerun in self.timers:
                self.timers.pop(msg.stop_auto_rerun).cancel()
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
                    and msg.delta.new_element.WhichOneof("type") == "exception":
                self.errors += 1

    async def every(self, seconds: float, fragment: str) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.send(fragment_id=fragment, is_auto_rerun=True, page_script_hash=self.page_hash)


def rate(run_dir: Path) -> tuple[int, float]:
    """(optimizer steps so far, the time of the last one) from the run's live.json."""
    live = json.loads((run_dir / "live.json").read_text())
    return live["batches"][-1]["step"], live["last_batch_at"]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url: str, sessions: int, run_dir: Path, batch: int, settle: float, seconds: float,
                  server: int) -> dict:
    stop = asyncio.Event()
    watchers = [Watcher(url) for _ in range(sessions)]
    tasks = [asyncio.create_task(w.run(stop)) for w in watchers]
    await asyncio.sleep(settle)
    step0, t0 = rate(run_dir)
    cpu0, wall0 = cpu_seconds(server), time.time()
    await asyncio.sleep(seconds)
    step1, t1 = rate(run_dir)
    cpu1, wall1 = cpu_seconds(server), time.time()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"sessions": sessions, "images_per_second": (step1 - step0) * batch / (t1 - t0),
            "server_cores": (cpu1 - cpu0) / (wall1 - wall0),
            "errors": sum(w.errors for w in watchers), "messages": sum(w.messages for w in watchers)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port: int, env: dict, log) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                               "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return server
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the app did not start")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", nargs="+", type=int, default=[0, 1, 10, 30, 0])
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("--settle", type=float, default=10)
    p.add_argument("--preset", default="fast")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-watchers-") as folder:
        env = {**os.environ, "CIFAR_DEMO_RUNS": folder}
        log = open(Path(folder) / "server.log", "w")
        trainer = subprocess.Popen([sys.executable, "-m", "cifar_demo", "train", "--preset", args.preset,
                                    "--epochs", "200"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        port = free_port()
        server = serve(port, env, log)
        run_dir = None
        try:
            while run_dir is None:
                time.sleep(1)
                found = list(Path(folder).glob("*/live.json"))
                if found and json.loads(found[0].read_text()).get("last_batch_at"):
                    run_dir = found[0].parent
            batch = json.loads((run_dir / "config.json").read_text())["batch_size"]
            time.sleep(20)  # past the first epoch's warm-up of the pipeline
            url = f"ws://127.0.0.1:{port}/_stcore/stream"
            rows = []
            for n in args.sessions:
                rows.append(asyncio.run(measure(url, n, run_dir, batch, args.settle, args.seconds, server.pid)))
                r = rows[-1]
                print(f"{n:>3} watchers: {r['images_per_second']:8.0f} images/s   the server used "
                      f"{r['server_cores']:.2f} cores   errors {r['errors']}   messages {r['messages']}", flush=True)
            alone = [r["images_per_second"] for r in rows if r["sessions"] == 0]
            base = sum(alone) / len(alone)
            print(f"CLI alone (mean of {len(alone)}): {base:.0f} images/s")
            for r in rows:
                if r["sessions"]:
                    print(f"{r['sessions']:>3} watchers cost {100 * (1 - r['images_per_second'] / base):5.1f}%")
        finally:
            if run_dir is not None:
                subprocess.run([sys.executable, "-m", "cifar_demo", "stop", run_dir.name], cwd=ROOT, env=env,
                               capture_output=True)
            trainer.wait(300)
            os.killpg(server.pid, 15)


if __name__ == "__main__":
    main()
