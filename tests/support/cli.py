"""Running the real `paperfeed` command in a subprocess, with its own PAPERFEED_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PAPERFEED = str(Path(sys.executable).with_name("paperfeed"))


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERFEED_HOME": str(home)}
    env.pop("PAPERFEED_DATABASE_URL", None)
    return subprocess.run([PAPERFEED, *args], env=env, capture_output=True, text=True, timeout=300)
