"""`sijill serve`: gunicorn, several processes of threads, static files served by the application."""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from sijill.web.wsgi import application

        return application


def serve(host: str, port: int, workers: int | None, threads: int, migrate: bool, console) -> None:
    from django.conf import settings
    from django.core.management import call_command

    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.db import connections

    connections.close_all()  # the server processes are forked from this one: they must open their own
    workers = workers or 2 * (os.cpu_count() or 1) + 1
    console.print(f"Sijill at http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/ "
                  f"({'production' if settings.PRODUCTION else 'development'}, {workers} processes x {threads} "
                  f"threads, database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})")
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,
        "keepalive": 5,  # browsers reuse their connection between pages
        "graceful_timeout": 20,
        "accesslog": "-",
        # No query string and no referrer: personal data must not reach the logs through a URL.
        "access_log_format": '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "errorlog": "-",
        "loglevel": "warning",
        "forwarded_allow_ips": "*" if settings.BEHIND_PROXY else "127.0.0.1",
        "limit_request_line": 8190,
    }).run()
