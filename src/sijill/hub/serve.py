"""`sijill hub serve`: the hub's API under gunicorn, one process of threads (runs are threads of that process,
their state in the hub's database)."""

from __future__ import annotations

from pathlib import Path

from gunicorn.app.base import BaseApplication

from .app import DEFAULT_MAX_BYTES, make_app


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self.app, self.options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.app


def serve(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8100, threads: int = 8,
          max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    app = make_app(data_dir, max_bytes=max_bytes)
    _Gunicorn(app, {"bind": f"{host}:{port}", "workers": 1, "threads": threads, "worker_class": "gthread",
                    "timeout": 600, "graceful_timeout": 20, "accesslog": "-", "errorlog": "-",
                    "loglevel": "warning", "access_log_format": '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                    "limit_request_line": 8190}).run()
