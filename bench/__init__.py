"""Benchmark workloads run by `loopdesk bench` against a real server (gunicorn) on PostgreSQL.

Plain Python with no Django imports: the command prepares the database, credentials and ticket ids,
starts the server (`server.py`), and these modules drive HTTP load (`client.py`) and measure
(`workloads.py`). Each figure is printed as one JSON line.
"""
