import threading

import pytest
from django.db import connection, connections, transaction

from loopdesk.core.services import next_value


@pytest.mark.django_db
def test_counter_starts_at_one_and_counts():
    assert [next_value("t:a") for _ in range(3)] == [1, 2, 3]
    assert next_value("t:b") == 1


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_concurrent_increments_never_repeat():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database is private to one connection")
    seen: list[int] = []
    lock = threading.Lock()

    def work():
        try:
            for _ in range(20):
                with transaction.atomic():
                    value = next_value("t:race")
                with lock:
                    seen.append(value)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 121))
