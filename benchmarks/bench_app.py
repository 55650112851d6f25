"""The app in a real browser: seconds from `streamlit run` to the first page, and training speed in the app vs the CLI.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_app.py [--boots 3] [--rounds 2]

Boot: a fresh `streamlit run app.py` each time, and headless Chromium (Debian's)
opening it; the clock runs from starting the server to the home page rendered
with its script finished. Training: the same run (the fast preset on 10,000
images, 3 epochs) started from the Train page, with the page open (progress
redrawn every second, live charts every 5 s), and from the CLI; rounds
alternate so that the machine's drift falls on both. Speed is images trained
/ the run's own train_seconds (status.json), which both paths record the
same way.

This machine's speed can swing 2x within a minute, more than the effect
measured, so a last measure compares within one run: 18 epochs of 10,000
images started in the app, the Train page open during some and closed during
the others (see ``watched_vs_unwatched``); once with the page's live charts
on, once with them turned off.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from browser import CHROMIUM, CHROMIUM_ARGS, Server, settle

EPOCHS, IMAGES = 3, 10_000


def boot_seconds(browser, folder: Path) -> float:
    started = time.perf_counter()
    server = Server({"CIFAR_DEMO_RUNS": str(folder)}, folder / "boot.log")
    try:
        page = browser.new_page()
        page.goto(server.url)
        page.get_by_role("heading", name="How a CNN sees CIFAR-10").wait_for(timeout=120_000)
        settle(page)
        seconds = time.perf_counter() - started
        page.close()
        return seconds
    finally:
        server.close()


def _train_speed(folder: Path) -> float:
    (run,) = [p for p in folder.iterdir() if (p / "status.json").is_file()]
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "finished", status
    return EPOCHS * IMAGES / status["train_seconds"]


def open_train_page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server.url}/train")
    return page


def start_training(browser, server, epochs: int):
    """Open the Train page, set the epochs and press Start (the fast preset on its default 10,000 images)."""
    page = open_train_page(browser, server)
    settle(page)
    field = page.get_by_role("spinbutton", name="Epochs", exact=True)
    field.fill(str(epochs))
    field.press("Enter")
    settle(page)
    page.get_by_role("button", name="Start training").click()
    return page


def app_speed(browser, folder: Path) -> float:
    server = Server({"CIFAR_DEMO_RUNS": str(folder)}, folder.parent / f"{folder.name}.log")
    try:
        page = start_training(browser, server, EPOCHS)
        main = page.locator("[data-testid='stMain']")
        deadline = time.time() + 900
        while "Finished" not in main.inner_text() and time.time() < deadline:
            time.sleep(1)
        page.close()
        return _train_speed(folder)
    finally:
        server.close()


def cli_speed(folder: Path) -> float:
    subprocess.run([sys.executable, "-m", "cifar_demo", "train", "--preset", "fast", "--subset", str(IMAGES),
                    "--epochs", str(EPOCHS)], cwd=ROOT, env={**os.environ, "CIFAR_DEMO_RUNS": str(folder)},
                   check=True, capture_output=True)
    return _train_speed(folder)


def browser_cpu_seconds() -> float:
    """CPU seconds used so far by the running Chromium processes (Linux /proc)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "chromium":
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        except OSError:
            continue  # it ended meanwhile
    return total / os.sysconf("SC_CLK_TCK")


def watched_vs_unwatched(browser, folder: Path, epochs: int = 18, *,
                         live_charts: bool = True) -> tuple[list[float], list[float], float]:
    """Seconds per epoch of one run started in the app: epochs with the Train page open, epochs without.

    The page is opened after epochs 1, 5, 9, ... and closed after epochs 3, 7,
    11, ...: it watches epochs in pairs, and the machine's drift falls on both
    kinds alike. Only the second epoch of each watched pair counts as watched,
    so that loading the page does not; every epoch from 4 on with the page
    closed counts as unwatched. Epoch 1 (graph building) is left out. An epoch's
    end is when its row lands in the run's history.json. Also returns the share
    of one core that Chromium used during the counted watched epochs. Without
    ``live_charts`` each opened page turns its "Live charts" toggle off.
    """
    server = Server({"CIFAR_DEMO_RUNS": str(folder)}, folder.parent / f"{folder.name}.log")
    try:
        page = start_training(browser, server, epochs)
        page.close()
        ends, cpu = {}, {}
        deadline = time.time() + 1800
        while len(ends) < epochs and time.time() < deadline:
            history = list(folder.glob("*/history.json"))
            done = len(json.loads(history[0].read_text())) if history else 0
            if done and done not in ends:
                ends[done], cpu[done] = time.perf_counter(), browser_cpu_seconds()
                if done % 4 == 1:
                    page = open_train_page(browser, server)
                    if not live_charts:
                        page.locator("label").filter(has_text="Live charts").click(timeout=60_000)
                elif done % 4 == 3:
                    page.close()
            time.sleep(0.1)
        if not page.is_closed():
            page.close()
        seconds = {e: ends[e] - ends[e - 1] for e in ends if e - 1 in ends}
        watched = [e for e in seconds if e % 4 == 3]
        unwatched = [e for e in seconds if e >= 4 and e % 4 in (0, 1)]
        share = sum(cpu[e] - cpu[e - 1] for e in watched) / sum(seconds[e] for e in watched)
        return [seconds[e] for e in watched], [seconds[e] for e in unwatched], share
    finally:
        server.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--boots", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2, help="CLI and app runs, alternating")
    args = p.parse_args()
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        tmp = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        boots = [boot_seconds(browser, Path(tempfile.mkdtemp(dir=tmp))) for _ in range(args.boots)]
        print(f"boot to first page: median {statistics.median(boots):.1f} s "
              f"(runs: {', '.join(f'{b:.1f}' for b in boots)})", flush=True)
        cli, app = [], []
        for i in range(args.rounds):
            cli.append(cli_speed(tmp / f"cli{i}"))
            app.append(app_speed(browser, tmp / f"app{i}"))
            print(f"round {i + 1}: CLI {cli[-1]:.0f} images/s, app {app[-1]:.0f} images/s", flush=True)
        for live in (True, False):
            watched, unwatched, browser_share = watched_vs_unwatched(browser, tmp / f"alternate-{live}",
                                                                     live_charts=live)
            w, u = statistics.median(watched), statistics.median(unwatched)
            print(f"one run in the app, {IMAGES:,} images an epoch, the Train page open on epochs 2-3, 6-7, ... "
                  f"(the second of each pair counted), live charts {'on' if live else 'off'}: "
                  f"median {w:.1f} s an epoch watched ({', '.join(f'{x:.1f}' for x in watched)}), {u:.1f} s "
                  f"unwatched ({', '.join(f'{x:.1f}' for x in unwatched)}): watching costs "
                  f"{100 * (w - u) / u:+.1f}%; Chromium used {browser_share:.0%} of one core while watching",
                  flush=True)
        browser.close()
    c, a = statistics.mean(cli), statistics.mean(app)
    print(f"training, fast preset, {IMAGES:,} images x {EPOCHS} epochs: CLI {c:.0f} images/s, "
          f"app {a:.0f} images/s: the app is {100 * (c - a) / c:+.1f}% slower" if a <= c else
          f"training: CLI {c:.0f} images/s, app {a:.0f} images/s: the app is {100 * (a - c) / c:.1f}% faster")


if __name__ == "__main__":
    main()
