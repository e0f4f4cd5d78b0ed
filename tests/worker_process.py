"""Run `flask --app app worker` as a real process on the test run's database and Redis."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker_env(app, **extra) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
        "REDIS_KEY_PREFIX": app.config["REDIS_KEY_PREFIX"],
        "SECRET_KEY": app.config["SECRET_KEY"], "WECHAT_SECRET": app.config["WECHAT_SECRET"],
        "WECHAT_API_BASE": app.config["WECHAT_API_BASE"], "REMINDER_RETRY_BACKOFF": "0.01",
        "LOG_FORMAT": "json",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker(app, *args, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", *args],
                            cwd=ROOT, env=worker_env(app, **env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def run_burst(app, timeout=120, **env) -> str:
    """Work off the queue and exit; returns the worker's log (stderr)."""
    process = start_worker(app, "--burst", **env)
    _out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return err


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse (which runs in its own process group)."""
    for pid in children(process.pid) + [process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.communicate(timeout=10)


def wait_until(predicate, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    raise AssertionError("timed out waiting")
