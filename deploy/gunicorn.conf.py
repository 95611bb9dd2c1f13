"""Gunicorn settings: bind, workers and threads from the environment, recycling, JSON logs.

Model inference is pinned to one thread per worker: with several workers on few cores, extra
BLAS/OpenMP threads only fight each other (15 ms per query became 440 ms in measurements).
"""

import gc
import os

from gunicorn import util
from gunicorn.glogging import Logger

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None  # the app writes its own JSON access line with the request id


class AppWritesAccessLines(Logger):
    """Gunicorn's access line would repeat the app's (which carries the request id): with a
    ``logconfig_dict`` gunicorn logs access lines even when ``accesslog`` is None."""

    def access(self, resp, req, environ, request_time):
        return None


logger_class = AppWritesAccessLines

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    # The app's own JSON format, so gunicorn's lines parse like the app's (same fields, same time format).
    "formatters": {"json": {"()": "app.logging.json_formatter"}},
    # gunicorn logs the text of a request it refuses ("Invalid HTTP request line: '...'"), query
    # string and all; the filter withholds it, as the app's own filters do for its lines.
    "filters": {"request_text": {"()": "app.logging.WithholdRequestText"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout",
                   "filters": ["request_text"]}
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}


def when_ready(server):
    # The master holds the app (preload_app) and has not forked yet: what its hooks load here (the
    # query model's unpacked weights) is shared by all workers, copy-on-write, instead of loaded
    # by each.
    app = server.app.wsgi()
    extensions = getattr(app, "extensions", {})
    for hook in extensions.get("before_fork", []):
        hook()
    refusal = extensions.get("refused_request_response")
    if refusal is not None:
        # A request gunicorn refuses before the app sees it (a malformed request line, a URI or
        # headers over its limits) would get gunicorn's HTML page, which quotes the input; clients
        # get the service's JSON error shape with a request id instead. gunicorn has no setting for
        # this page: its workers write it through util.write_error, replaced here in the master so
        # every worker forked from it inherits the replacement.
        util.write_error = lambda sock, status, _reason, _message: util.write_nonblock(sock, refusal(status))


def post_worker_init(worker):
    # Runs in each worker once it holds the app (post_fork runs before the worker loads it): forked
    # workers must not share the master's database connections, and models load before the first
    # request rather than during it.
    app = getattr(worker, "wsgi", None)
    for hook in getattr(app, "extensions", {}).get("worker_init", []):
        hook()
    # What the worker holds now (app, index, models, warmed caches) lives as long as the worker.
    # Frozen, the collector no longer walks it: full collections over it cost ~200 ms each, several
    # times per thousand chat turns (measured on the XQuAD knowledge base), and stalled the turns
    # they fell into.
    gc.collect()
    gc.freeze()
