"""Run every bench_*.py in this folder against the current DATABASE_URL."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
failed = 0
for script in sorted(here.glob("bench_*.py")):
    if script.name == "bench_suite.py":
        continue  # the suite has its own databases and command (make bench)
    print(f"=== {script.name} ===", flush=True)
    failed |= subprocess.call([sys.executable, str(script)], cwd=here) != 0
sys.exit(failed)
