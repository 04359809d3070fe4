"""``resilience workshop``: start the teaching-workshop app.

``main(argv)`` composes and validates the starting point from the same ``key=value`` overrides as
``resilience run`` (``place=``, ``regime=``, ``funding=``, ``experiment=``, ``seed=`` and dotted model
parameters; the place defaults to ``small``) and then runs Solara's server on the page in
:mod:`workshop.page`, passing the starting point as JSON in an environment variable. Bad input gives
one line on stderr and exit status 2, no traceback.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

from workshop.controls import START_ENV, WORKSHOP_DEFAULTS, Start
from workshop.room import ROOM_ENV, ROOM_REQUIRED_ENV

DEFAULT_PLACE = "small"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def compose_start(overrides: list[str]) -> Start:
    """Compose the starting point from ``resilience run``-style overrides, on the small place and the
    workshop defaults (weekly records, twenty years to play) unless the overrides say otherwise.

    Uses the same Hydra configs and checks as ``resilience run`` (``experiments.preflight``), so any
    override it accepts works here (``regime=investor_outcomes``, ``experiment=...``, dotted model
    parameters, ``seed=``). Raises :class:`model.ConfigError` with one line.
    """
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from experiments import preflight
    from experiments.config import CONFIG_DIR, validate

    given = {item.split("=", 1)[0].lstrip("+~") for item in overrides}
    defaults = [f"place={DEFAULT_PLACE}"] if "place" not in given and "experiment" not in given else []
    defaults += [f"{k}={v}" for k, v in WORKSHOP_DEFAULTS.items() if k not in given]
    items = [*defaults, *overrides]
    preflight.check(items, multirun=False)  # one-line ConfigError on the first problem
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="workshop"):
        cfg = preflight._compose(items)
    params = validate(cfg)
    return Start(params=params.to_dict(), seed=int(cfg.seed))


def server_command(host: str, port: int) -> list[str]:
    """The Solara server command line (production mode: no call-home check, minified front end)."""
    return [sys.executable, "-m", "solara", "run", "workshop.page", "--host", host, "--port", str(port),
            "--production", "--no-open", "--log-level", "warning"]


def new_room_code() -> str:
    """Six digits, easy to type on a phone; a guess succeeds one time in 900,000."""
    return str(100_000 + secrets.randbelow(900_000))


def is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def server_env(start: Start, base: dict[str, str] | None = None, *, room: str = "",
               participants_need_code: bool = False) -> dict[str, str]:
    """Environment for the server: the starting point, the room code, no telemetry, no Solara badge,
    the burn-in cache warmed at start-up, and this package importable."""
    env = dict(os.environ if base is None else base)
    env[START_ENV] = start.to_json()
    env[ROOM_ENV] = room
    env[ROOM_REQUIRED_ENV] = "1" if room and participants_need_code else "0"
    env["RESILIENCE_WORKSHOP_WARM"] = "1"  # settle the place for the first seeds in the background
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # the badge covered the money chart on a projector
    # a closed tab leaves the facilitator's list two minutes later (Solara's default keeps it a day);
    # a phone that sleeps for less than that comes back to its run
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "120s")
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no calls home from a room without internet
    env["SOLARA_ASSETS_PROXY"] = "True"  # serve front-end files from the local cache
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="resilience workshop",
        description="Start the teaching-workshop app in a browser (the 'small' place by default).",
        epilog="Example: resilience workshop regime=grants council.budget_per_resident_per_year=8 "
               "--host 0.0.0.0 --port 8765",
    )
    parser.add_argument("overrides", nargs="*", help="key=value settings, as for `resilience run`")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to serve on; 0.0.0.0 lets other laptops in the room connect "
                             f"(default {DEFAULT_HOST}: this laptop only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--room-code", default=None,
                        help="the room code (default: six random digits, printed at start). The facilitator's "
                             "page always needs it; participants need it when the room is served on the "
                             "network (--host) or a code is given here")
    parser.add_argument("--check", action="store_true",
                        help="validate the settings and the offline files, then exit without serving")
    args = parser.parse_args(argv)
    from model import ConfigError

    try:
        start = compose_start(args.overrides)
    except ConfigError as e:
        msg = str(e).replace(": add -m to sweep over them", ": the workshop takes one value per setting")
        print(f"error: {msg}", file=sys.stderr)
        return 2
    from workshop import assets

    missing = assets.missing_files()
    if missing:
        print("warning: the app's front-end files are not cached, so browsers will need internet; "
              "run `python -m workshop.assets prepare` before going offline", file=sys.stderr)
    if args.check:
        print(f"ok: place={start.params['place']['name']} regime={start.params['regime']['name']} seed={start.seed}"
              + ("" if not missing else " (front-end files missing)"))
        return 0 if not missing else 1
    room = (args.room_code or new_room_code()).strip()
    if not room or not room.isalnum():
        print("error: --room-code must be letters and digits only", file=sys.stderr)
        return 2
    need = args.room_code is not None or not is_local(args.host)
    for line in addresses(args.host, args.port, room=room, participants_need_code=need):
        print(line, flush=True)
    return serve(server_command(args.host, args.port), server_env(start, room=room, participants_need_code=need))


def lan_address() -> str | None:
    """This laptop's address on the local network (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def addresses(host: str, port: int, *, room: str = "", participants_need_code: bool = False) -> list[str]:
    """What to tell the room: the addresses, the room code and the facilitator's page."""
    q = f"?room={room}" if room and participants_need_code else ""
    lines = []
    if is_local(host):
        lines.append(f"workshop: open http://localhost:{port}/{q} in a browser on this laptop (Ctrl+C to stop)")
    else:
        shown = lan_address() if host in ("0.0.0.0", "::") else host
        lines.append(f"workshop: open http://localhost:{port}/{q} on this laptop (Ctrl+C to stop)")
        if shown:
            lines.append(f"workshop: participants on the same network open http://{shown}:{port}/{q}")
    if room:
        lines.append(f"workshop: room code {room}"
                     + (" (participants type it, or use the address above)" if participants_need_code else ""))
        lines.append(f"workshop: facilitator's view http://localhost:{port}/facilitator?room={room}")
    return lines


def serve(cmd: list[str], env: dict[str, str]) -> int:
    """Run the server until it exits; Ctrl+C or SIGTERM stop it too (no server is left behind)."""
    proc = subprocess.Popen(cmd, env=env)

    def forward(signum, _frame):
        proc.send_signal(signum)

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        return proc.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to the server as well
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.terminate()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
