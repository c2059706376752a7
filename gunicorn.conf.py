"""Production server settings: ``gunicorn -c gunicorn.conf.py verifier.wsgi``.

Chosen for the 2-core machines this runs on, with PostgreSQL on the same host;
each can be overridden from the environment. The benchmarks in ``bench/`` run
the app, the DRF baseline and the floor with this same file.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# A request is mostly Python (CPU) with a short wait on the database, so the
# worker count follows the cores: two processes per core keep both busy while
# one of them waits on a query. More processes only add memory and database
# connections (one per thread, kept open by CONN_MAX_AGE).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))

# gthread rather than sync: it keeps client connections alive between
# requests (a sync worker closes each one), which matters behind a proxy
# that pools upstream connections and for the load generator alike. Two
# threads cover the database waits; more would only contend for the GIL.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# Seconds an idle client connection stays open. Behind a load balancer that
# reuses its upstream connections, set it above the balancer's idle timeout
# (e.g. 65 for a 60 s one), or the balancer may send a request down a
# connection gunicorn is closing and answer 502.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))

# X-Forwarded-* headers are believed only from these addresses: the load
# balancer's, or the local proxy's by default.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# A worker silent for 30 s is killed and replaced. Database work is bounded
# well below that, so only a stuck worker gets here: a statement may run 20 s
# (statement_timeout, set for the server processes only, so that migrations
# and exports are not cut short), and a connection attempt to an unreachable
# server gives up after 5 s (DATABASE_CONNECT_TIMEOUT). Either is a 503.
timeout = 30
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "20000")
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = 30

# Restart each worker after ~10,000 requests, spread out so they never all
# restart at once: a safety net against slow leaks in long-lived processes.
max_requests = 10_000
max_requests_jitter = 1_000

# Import Django once in the master, then fork: workers start in milliseconds
# and share the code's memory. Django opens no connection at import, so no
# database socket is shared between processes.
preload_app = True

# The heartbeat file lives in memory, not on a possibly slow disk. Gunicorn
# creates it itself with a random name, only for its own workers.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None

# Access logs are the proxy's job, and a log line per request is work on the
# hot path; errors go to standard output with the app's own logs.
# GUNICORN_ACCESS_LOG=1 turns access logging on (to standard output).
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG") == "1" else None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
