"""The Django side of matching (突合): the register's matching index, match runs in chunks on
Celery workers, the review queue, remembered decisions, and the match export. The engine itself
(normalisation, blocking, scoring, decisions) is the pure package enrollment.matching."""
