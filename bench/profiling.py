"""Samples `patbm run` with py-spy while the report-flow bench drives it (opt-in).

    PATBM_BENCH_PROFILE=bench/results/profile-sqlite python -m bench.run --only report_flow ...

writes `<prefix>-<backend>-<n>.speedscope.json` (open it at https://www.speedscope.app) for each `patbm
run` process of the run. py-spy samples from outside the process (no instrumentation inside it,
so the CPU figures of the same run stay comparable); it is a dev dependency for that reason.
With `PATBM_BENCH_PROFILE_GIL=1` it samples only the thread holding the GIL: the Python CPU,
without the idle waits and the time inside the database driver's own thread.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Profiler:
    proc: subprocess.Popen[bytes]

    @classmethod
    def start_for(cls, pid: int, label: str) -> Profiler | None:
        prefix = os.environ.get("PATBM_BENCH_PROFILE")
        beside = os.path.join(os.path.dirname(sys.executable), "py-spy")
        spy = beside if os.path.exists(beside) else shutil.which("py-spy")
        if not prefix or spy is None:
            return None
        output = f"{prefix}-{label}.speedscope.json"
        command = [spy, "record", "--pid", str(pid), "--rate", "200", "--format", "speedscope"]
        if os.environ.get("PATBM_BENCH_PROFILE_GIL") == "1":
            command.append("--gil")
        return cls(subprocess.Popen([*command, "--output", output, "--nonblocking"]))

    def stop(self) -> None:
        # py-spy writes its output when interrupted, as after Ctrl-C.
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
