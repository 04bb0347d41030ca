"""What granian loads in a benchmark: the WSGI app named by ``HTTPBENCH_TARGET``, as is.

granian imports its target once in each worker process. This module imports the real
target (``module:attribute``, e.g. ``participate.wsgi:app``), exposes the same object as
``app`` (no wrapper around it: requests go straight to the target) and then leaves a file
``ready-<pid>`` in ``HTTPBENCH_READY_DIR``, so ``httpbench.Server`` knows when every
worker has loaded the app, which a GET cannot tell (any one worker may answer it).
"""

from __future__ import annotations

import importlib
import os

_module, _, _attribute = os.environ["HTTPBENCH_TARGET"].partition(":")
app = importlib.import_module(_module)
for _name in (_attribute or "app").split("."):
    app = getattr(app, _name)

open(os.path.join(os.environ["HTTPBENCH_READY_DIR"], f"ready-{os.getpid()}"), "w").close()  # noqa: SIM115
