"""gunicorn settings for `make serve` and production (docs/deploy.md).

Every value can be overridden from the environment or the command line.
"""

import multiprocessing
import os

bind = os.environ.get("WAYPOINT_BIND", "127.0.0.1:8000")
# Synchronous workers, one per core: requests are short and spend most of their time
# in Python. On the 2-core benchmark machine 2 workers served about as many requests
# as 3 or 5 with a third of the server-side latency of 5 (docs/performance.md). With
# the database on another machine, requests wait on the network and a few more
# workers pay off. Each worker is a separate process: nothing is shared in memory.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
timeout = int(os.environ.get("WAYPOINT_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then, so no slow leak piles up
max_requests_jitter = 200
accesslog = os.environ.get("WAYPOINT_ACCESS_LOG", "-")
# Time taken in microseconds (%(D)s) at the end, for latency analysis.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)s'
errorlog = "-"
# Whether a request came over HTTPS is Django's decision alone
# (DJANGO_TRUST_X_FORWARDED_PROTO); gunicorn reads no forwarded header itself.
secure_scheme_headers = {}
pidfile = os.environ.get("WAYPOINT_PIDFILE")  # for scripts that stop the server
