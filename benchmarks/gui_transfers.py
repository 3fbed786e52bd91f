"""ramogui's transfers against boto3's, and how responsive the GUI thread stays meanwhile.

Starts a ramod (temporary data directory, free loopback port), then for one file of
``--size-mib``: upload and download with ramogui's engine (``ramogui.client.transfer``) and
with boto3's managed transfers (``upload_file``/``download_file``), and prints MiB/s and
the ratio.  Then it runs the same upload through the app's ``TransferQueue`` inside a Qt
event loop (offscreen) with a 10 ms timer ticking, and prints the longest gap between
ticks: how long the window could have looked frozen.

    .venv/bin/python benchmarks/gui_transfers.py --size-mib 512
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))

from boto3.s3.transfer import TransferConfig  # noqa: E402
from ramod_process import (  # noqa: E402
    ADMIN_API_KEY, REGION, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, RamodProcess, no_retry_client)

from ramogui.client import transfer  # noqa: E402
from ramogui.client.profiles import Profile, Secrets  # noqa: E402
from ramogui.client.session import Session  # noqa: E402

MIB = 1024 * 1024
TICK_MS = 10


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))


def event_loop_stall(session: Session, path: Path, bucket: str) -> tuple[float, float]:
    """Upload ``path`` through a ``TransferQueue``; (seconds, longest gap between 10 ms ticks)."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from ramogui.workers.transfer_queue import TransferQueue

    app = QApplication.instance() or QApplication([])
    queue = TransferQueue()
    queue.set_session(session)
    clock, gaps = QElapsedTimer(), []
    last = [0]

    def tick():
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer(interval=TICK_MS)
    timer.timeout.connect(tick)
    queue.idle.connect(app.quit)
    clock.start()
    timer.start()
    queue.add_uploads([str(path)], bucket, "queued/")
    app.exec()
    timer.stop()
    return clock.elapsed() / 1000, max(gaps, default=0) / 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=512)
    args = parser.parse_args(argv)
    size = args.size_mib * MIB
    with tempfile.TemporaryDirectory(prefix="ramo-gui-bench-") as workdir:
        work = Path(workdir)
        with RamodProcess(work / "server") as server:
            print(f"ramod pid {server.pid} at {server.endpoint}", file=sys.stderr)
            session = Session(Profile("bench", server.endpoint, server.admin_url,
                                      ROOT_ACCESS_KEY, REGION),
                              Secrets(ADMIN_API_KEY, ROOT_SECRET_KEY), timeout=120)
            s3 = no_retry_client(server)
            s3.create_bucket(Bucket="bench")
            source = work / "source.bin"
            make_file(source, size)
            boto_config = TransferConfig(multipart_threshold=16 * MIB,
                                         multipart_chunksize=8 * MIB, max_concurrency=4)
            rows = [
                ("upload", timed(lambda: transfer.upload_file(
                    session.s3, str(source), "bench", "ramogui.bin", on_progress=None,
                    cancel=None)), timed(lambda: s3.upload_file(
                        str(source), "bench", "boto3.bin", Config=boto_config))),
                ("download", timed(lambda: transfer.download_object(
                    session.s3, "bench", "ramogui.bin", str(work / "r.bin"), on_progress=None,
                    cancel=None)), timed(lambda: s3.download_file(
                        "bench", "boto3.bin", str(work / "b.bin"), Config=boto_config))),
            ]
            seconds, stall = event_loop_stall(session, source, "bench")
    print(f"\n{args.size_mib} MiB, 8 MiB parts, 4 in parallel, one ramod on 127.0.0.1, "
          f"{os.cpu_count()} cores\n")
    print(f"| {'transfer':<10} | {'ramogui MiB/s':>13} | {'boto3 MiB/s':>11} | "
          "ramogui/boto3 | aim |")
    print(f"|{'-' * 12}|{'-' * 15}|{'-' * 13}|{'-' * 15}|{'-' * 8}|")
    for name, ours, theirs in rows:
        print(f"| {name:<10} | {args.size_mib / ours:13.0f} | {args.size_mib / theirs:11.0f} "
              f"| {theirs / ours:13.2f} | >= 0.8 |")
    print(f"\nTransferQueue upload in a Qt event loop: {args.size_mib / seconds:.0f} MiB/s; "
          f"longest gap between {TICK_MS} ms timer ticks: {stall * 1000:.0f} ms "
          "(aim: under 100 ms, the GUI thread never waits for the network)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
