"""`make bench`: run every benchmark in bench/ one after another (each prints its own ratios)."""

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run_all.py")
    for script in scripts:
        print(f"== {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script), *sys.argv[1:]])
        if rc:
            print(f"{script.name} exited with {rc}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
