"""The app's five journeys (issue 15) in a real terminal: tmux, at 120x40 and at 80x24.

    .venv/bin/python bench/journeys.py [--db DEMO.duckdb] [--sizes 120x40,80x24] [--timeout 90]

Builds the demo database once (`evaltui demo --no-tui --conversations 600`, as the tests
build it) unless --db names one, then per size starts `evaltui tui --db COPY` in a detached
tmux session (from the repository, so `n` finds examples/), presses the keys a user
presses and waits on what the screen shows (`tmux capture-pane`, polled until the expected
text appears or the timeout passes). The journeys, in order, on one copy of the database:

- triage: the topic map opens, a group opens into its topics, a topic's logs, a trace, the next trace, back;
- curation: the builder on that filter, marks, `w` saves a dataset;
- an eval from the app: `n` in the experiments pane, the dialog loads the example eval files, ctrl+s runs it to the end;
- review: the diff pane, the next case, a filter, the cases sorted by one score's delta;
- calibration: a human label typed in a trace, then the calibration pane and its per-topic table.

A journey fails when its text does not appear in time, when "Traceback" shows in the
terminal, or when `q` does not end the app with exit code 0. Prints a table of journeys and
outcomes (exit 1 if any failed), then one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[1]
SOCKET = f"evaltui-journeys-{os.getpid()}"  # a tmux server of our own: others' sessions untouched


class JourneyFailed(Exception):
    pass


@dataclass
class Terminal:
    """One `evaltui tui` in a detached tmux session of a given size."""

    session: str
    width: int
    height: int
    exit_file: Path
    timeout: float
    log: list[str] = field(default_factory=list)

    def tmux(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, timeout=30)
        if check and out.returncode != 0:
            raise JourneyFailed(f"tmux {args[0]}: {out.stderr.strip()}")
        return out.stdout

    def start(self, db: Path, evaltui: list[str]) -> None:
        command = f"{shlex.join([*evaltui, 'tui', '--db', str(db)])}; echo $? > {shlex.quote(str(self.exit_file))}"
        self.tmux(
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "-c",
            str(ROOT),
            "-e",
            "TERM=xterm-256color",
            command,
        )
        self.tmux("set-option", "-t", self.session, "remain-on-exit", "on")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session, check=False)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.log.append(" ".join(keys))
        self.tmux("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def wait(self, what: str, check: Callable[[str], bool] | str, timeout: float | None = None) -> str:
        """Poll the screen until ``check`` holds (a regex, or a function of the screen's text)."""
        test = (lambda s: re.search(check, s) is not None) if isinstance(check, str) else check
        deadline = time.monotonic() + (timeout or self.timeout)
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if "Traceback" in screen:
                raise JourneyFailed(f"a traceback while waiting for {what}:\n{screen}")
            if self.exit_file.exists():
                raise JourneyFailed(
                    f"the app ended (exit {self.exit_file.read_text().strip()}) while waiting for {what}:\n{screen}"
                )
            if test(screen):
                return screen
            time.sleep(0.2)
        raise JourneyFailed(f"timed out waiting for {what} after keys {self.log[-3:]}:\n{screen}")

    def quit(self) -> int:
        self.keys("q")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and not self.exit_file.exists():
            screen = self.screen()
            if re.search(r"Quit\?", screen):  # the builder asks before dropping marks
                self.keys("y")
            time.sleep(0.2)
        screen = self.screen()
        if "Traceback" in screen:
            raise JourneyFailed(f"a traceback on quitting:\n{screen}")
        if not self.exit_file.exists():
            raise JourneyFailed(f"q did not end the app:\n{screen}")
        return int(self.exit_file.read_text().strip() or -1)

    def close(self) -> None:
        self.tmux("kill-session", "-t", self.session, check=False)


# -- the journeys ----------------------------------------------------------------------------


def triage(t: Terminal) -> str:
    # the scores and the failure modes arrive after the sizes: wait for both, so no key lands on a moving table
    t.wait("the topic map", r"\d+ topics · [\d,]+ conversations · [\d,]+ failing")
    t.wait("the first group's failure modes", r"why it fails: \w")
    t.keys("Enter")  # the first group (worst first) opens into its topics
    t.wait("the group's topics", "▾")
    t.keys("Down", "Enter")
    screen = t.wait("the topic's logs", r'rows 1–\d+ of [\d,]+.*topic = "')
    topic = re.search(r'topic = "([^"]+)"', screen).group(1)
    t.keys("Enter")
    t.wait("the first trace", r"trace 1 of [\d,]+")
    t.keys("n")
    t.wait("the next trace", r"trace 2 of [\d,]+")
    t.keys("Escape")
    t.wait("the log browser again", r"rows 1–\d+ of")
    return f"topic {topic}: logs, traces 1 and 2"


def curation(t: Terminal) -> str:
    t.keys("3")
    t.wait("the builder", r"builder .*failing 0 +borderline 0 +passing 0")
    t.keys("f", "f", "b", "p")
    t.wait("the marks counted", r"failing 2 +borderline 1 +passing 1")
    t.keys("w")
    t.wait("the save dialog", "type a name")
    t.keys("journey-set", literal=True)
    t.keys("Enter")
    t.wait("the dataset saved", r"saved journey-set")
    return "2 failing, 1 borderline, 1 passing saved as journey-set v1"


def eval_from_the_app(t: Terminal) -> str:
    t.keys("4")
    screen = t.wait("the experiments pane", r"(\d+) experiments ·")
    before = int(re.search(r"(\d+) experiments ·", screen).group(1))
    t.keys("n")
    t.wait("the new-eval dialog with the example tasks", r"ctrl\+s: start", timeout=max(t.timeout, 120))
    t.keys("C-s")
    t.wait(
        "the run to finish",
        lambda s: f"{before + 1} experiments ·" in s and "no eval running" in s,
        timeout=max(t.timeout, 180),
    )
    return f"experiment {before + 1} ran to the end"


def review(t: Terminal) -> str:
    t.keys("5")
    t.wait("the diff", r"case 1 of \d+")
    t.keys("n")
    screen = t.wait("the next case", r"case 2 of \d+")
    cases = re.search(r"case 2 of (\d+)", screen).group(1)
    t.keys("f")
    t.wait("a case filter", r"filter (?!all)\w+")
    t.keys("s")
    t.wait("the cases sorted by one score's delta", r"by Δ \w")
    return f"diff of {cases} cases: next case, filter, sort by a score's delta"


def calibration(t: Terminal) -> str:
    t.keys("2")
    t.wait("the log browser", r"rows 1–\d+ of")
    t.keys("Enter")
    t.wait("a trace", r"trace \d+ of [\d,]+")
    t.keys("C")  # shift+c: the human grade C for the judge's span
    t.wait("the label shown", r"human: C")
    t.keys("6")
    t.wait("the calibration pane", r"scorer versions? with labels")
    t.keys("Tab", "j", "j")
    t.wait("the per-topic table", r"topic +n +acc +kappa")
    return "labelled C in a trace; calibration and per-topic table"


JOURNEYS: list[tuple[str, Callable[[Terminal], str]]] = [
    ("triage", triage),
    ("curation", curation),
    ("eval from the app", eval_from_the_app),
    ("review", review),
    ("calibration", calibration),
]


# -- running ---------------------------------------------------------------------------------


def evaltui_command() -> list[str]:
    script = Path(sys.executable).with_name("evaltui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "evaltui"]


def build_demo_db(folder: Path) -> Path:
    db = folder / "demo.duckdb"
    out = subprocess.run(
        [*evaltui_command(), "demo", "--no-tui", "--json", "--conversations", "600", "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=1800,
    )
    if out.returncode != 0:
        raise SystemExit(f"evaltui demo failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return db


def run_size(demo_db: Path, width: int, height: int, folder: Path, timeout: float) -> list[dict]:
    db = folder / f"journeys-{width}x{height}.duckdb"
    shutil.copy(demo_db, db)
    t = Terminal(f"j{width}x{height}", width, height, folder / f"exit-{width}x{height}", timeout)
    results: list[dict] = []
    t.start(db, evaltui_command())
    try:
        failed = False
        for name, journey in JOURNEYS:
            if failed:
                results.append(
                    {
                        "size": f"{width}x{height}",
                        "journey": name,
                        "ok": False,
                        "seconds": 0.0,
                        "detail": "not run (an earlier journey failed)",
                    }
                )
                continue
            started = time.perf_counter()
            try:
                detail, ok = journey(t), True
            except JourneyFailed as exc:
                detail, ok, failed = str(exc), False, True
            results.append(
                {
                    "size": f"{width}x{height}",
                    "journey": name,
                    "ok": ok,
                    "seconds": round(time.perf_counter() - started, 1),
                    "detail": detail,
                }
            )
        started = time.perf_counter()
        try:
            code = t.quit()
            ok, detail = code == 0, f"exit code {code}"
        except JourneyFailed as exc:
            ok, detail = False, str(exc)
        results.append(
            {
                "size": f"{width}x{height}",
                "journey": "quit (q)",
                "ok": ok,
                "seconds": round(time.perf_counter() - started, 1),
                "detail": detail,
            }
        )
    finally:
        t.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a demo database to copy (default: build one)")
    parser.add_argument("--sizes", default="120x40,80x24")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for each screen")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed: the journeys need a real terminal", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results: list[dict] = []
    try:
        with tempfile.TemporaryDirectory(prefix="evaltui-journeys-") as tmp:
            folder = Path(tmp)
            demo_db = args.db or build_demo_db(folder)
            built = time.perf_counter() - started
            for size in args.sizes.split(","):
                width, height = (int(v) for v in size.lower().split("x"))
                results += run_size(demo_db, width, height, folder, args.timeout)
    finally:
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
        # tmux leaves the socket file behind
        (Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}" / SOCKET).unlink(missing_ok=True)
    print(f"{'size':<7}  {'journey':<18}  {'outcome':<7}  {'seconds':>7}  detail")
    for r in results:
        first = r["detail"].splitlines()[0] if r["detail"] else ""
        print(f"{r['size']:<7}  {r['journey']:<18}  {'ok' if r['ok'] else 'FAILED':<7}  {r['seconds']:>7.1f}  {first}")
    for r in results:
        if not r["ok"] and "\n" in r["detail"]:
            print(f"\n{r['size']} {r['journey']}: {r['detail']}")
    total = time.perf_counter() - started
    print(
        f"\n{sum(r['ok'] for r in results)} of {len(results)} ok; demo database {'given' if args.db else f'built in {built:.0f} s'}; "
        f"{total:.0f} s in all"
    )
    print(json.dumps({"ok": all(r["ok"] for r in results), "seconds": round(total, 1), "results": results}))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
