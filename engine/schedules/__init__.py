"""Schedules: recurring work stored in the database and fired by the local engine (issue 14).

- timing: cron expressions and intervals in a named time zone, next runs (DST-aware);
- feeds: fetching a feed over HTTP(S) safely (time-out, size cap, redirects, no private addresses);
- book: add, edit, pause, resume, remove and list schedules, every input checked first;
- firing: which schedules are due, claiming one run (a lease), running a kind, recording the outcome.
"""
