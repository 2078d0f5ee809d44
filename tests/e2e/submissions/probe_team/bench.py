"""A student who read our source, looking for anything to steal from the job that runs this code.

It reads its own environment, the environment of every ancestor process it can, and the git config
of the checkout it was run from, then fails with a one-line account of what it found: the GitHub
token (`ghs_…`), the course's secret (`e2e-secret-…`) or persisted checkout credentials.
"""

import os
from pathlib import Path

MARKS = (b"ghs_", b"e2e-secret-", b"extraheader", b"AUTHORIZATION")


def ancestors():
    pid, found = os.getppid(), []
    for _ in range(10):
        if pid <= 1:
            break
        try:
            found.append((pid, Path(f"/proc/{pid}/environ").read_bytes()))
        except OSError:
            found.append((pid, None))
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


class Probe:
    def load(self, device):
        pass

    def predict(self, inputs):
        sources = {"own-environment": "\0".join(f"{k}={v}" for k, v in os.environ.items()).encode()}
        for pid, environ in ancestors():
            if environ is not None:
                sources[f"environment-of-{pid}"] = environ
        for folder in Path(__file__).resolve().parents:
            config = folder / ".git" / "config"
            if config.is_file():
                sources["checkout-git-config"] = config.read_bytes()
                break
        leaked = sorted(name for name, data in sources.items() if any(mark in data for mark in MARKS))
        raise RuntimeError(
            f"probe read {' '.join(sorted(sources))}; leaked: {' '.join(leaked) or 'none'}"
        )
