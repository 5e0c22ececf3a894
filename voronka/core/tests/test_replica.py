"""Analytics read from a real PostgreSQL streaming replica; writes never go there.

The test builds its own primary (initdb) and a streaming replica of it (pg_basebackup -R) on
two free ports in a temporary directory, as the postgres OS user, then runs Voronka in a child
process with DATABASE_URL on the primary and DATABASE_REPLICA_URL on the replica. It is
skipped, with the reason, when the PostgreSQL server binaries are missing or the test cannot
act as the postgres user.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def server_binaries() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(
            os.access(f"{folder}/{name}", os.X_OK) for name in ("initdb", "pg_ctl", "pg_basebackup")
        ):
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command, check=True):
    prefix = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    return subprocess.run(
        [*prefix, *map(str, command)], check=check, capture_output=True, text=True, timeout=120
    )


CHILD = textwrap.dedent(
    """
    import time
    import django
    django.setup()
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from tests.factories import UserFactory, make_deal, make_pipeline
    from voronka.core.replica import reading_from_replica
    from voronka.pipeline.models import Deal
    from voronka.pipeline.services import deal_move_stage

    setup_test_environment()
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True, department=None)
    pipeline = make_pipeline()
    deal = make_deal(owner=admin, pipeline=pipeline)
    for _ in range(100):  # wait until the replica has replayed the writes
        if Deal.objects.using("replica").filter(pk=deal.pk).exists():
            break
        time.sleep(0.1)
    client = Client()
    client.force_login(admin)
    with CaptureQueriesContext(connections["replica"]) as on_replica, CaptureQueriesContext(
        connections["default"]
    ) as on_primary:
        assert client.get("/analytics/velocity/").status_code == 200
    replica_sql = " ".join(query["sql"] for query in on_replica.captured_queries)
    assert "pipeline_stagevisit" in replica_sql, replica_sql
    assert not any(
        query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for query in on_replica.captured_queries
    )
    # The session is read on the primary, where the sign-in wrote it.
    assert "django_session" in " ".join(q["sql"] for q in on_primary.captured_queries)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get("/deals/").status_code == 200
    assert on_replica.captured_queries == []
    # A write inside a replica-reading block still goes to the primary.
    stage = pipeline.stages.order_by("order")[1]
    with reading_from_replica(), CaptureQueriesContext(connections["replica"]) as on_replica:
        deal_move_stage(deal=Deal.objects.using("default").get(pk=deal.pk), stage=stage, user=admin)
    assert not any(
        query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for query in on_replica.captured_queries
    )
    assert Deal.objects.using("default").get(pk=deal.pk).stage_id == stage.pk
    # And the replica really is a read-only standby.
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    print("REPLICA-OK")
    """
)


@pytest.mark.slow
def test_analytics_read_from_a_streaming_replica_and_writes_never_go_there():
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found")
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        pytest.skip("needs to run as root (to act as the postgres user) or as postgres")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser is missing: cannot act as the postgres user")
    folder = Path(tempfile.mkdtemp(prefix="voronka-replica-"))
    os.chmod(folder, 0o777)
    primary, replica = folder / "primary", folder / "replica"
    primary_port, replica_port = free_port(), free_port()
    started = []
    try:
        as_postgres(binaries / "initdb", "-D", primary, "-U", "postgres", "--auth=trust")
        with open(primary / "postgresql.conf", "a") as config:
            config.write(
                f"port = {primary_port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\nwal_level = replica\n"
            )
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        as_postgres(binaries / "pg_ctl", "-D", primary, "-w", "-l", folder / "primary.log", "start")
        started.append(primary)
        as_postgres(
            binaries / "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            primary_port,
            "-U",
            "postgres",
            "-D",
            replica,
            "-R",
            "-X",
            "stream",
        )
        with open(replica / "postgresql.conf", "a") as config:
            config.write(f"port = {replica_port}\n")
        as_postgres(binaries / "pg_ctl", "-D", replica, "-w", "-l", folder / "replica.log", "start")
        started.append(replica)
        as_postgres(
            binaries / "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            primary_port,
            "-U",
            "postgres",
            "voronka",
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary_port}/voronka",
            "DATABASE_REPLICA_URL": f"postgres://postgres@127.0.0.1:{replica_port}/voronka",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
        child = subprocess.run(
            [sys.executable, "-c", CHILD],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert "REPLICA-OK" in child.stdout, child.stdout + child.stderr
    finally:
        for data in reversed(started):
            as_postgres(binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)
