"""WSGI entry point for granian: ``granian --interface wsgi participate.wsgi:app``."""

import gc

from participate import create_app

app = create_app()

# Everything built so far (modules, the app, its routes, templates, SQLAlchemy's metadata)
# lives as long as the process: keep it out of the cyclic garbage collector's scans, so
# the collections that requests trigger look only at what requests create.
gc.collect()
gc.freeze()
