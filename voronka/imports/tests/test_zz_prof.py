import cProfile, pstats, io
from voronka.imports.tests.test_import_performance import *  # noqa
from voronka.imports.tests.test_import_performance import generated_rows

def test_prof(db, pipeline, stages, django_capture_on_commit_callbacks):
    for name in ("Сайт", "Выставка"):
        LeadSourceFactory(name=name)
    LostReasonFactory(name="Дорого")
    admin = UserFactory(role="admin")
    owners = [UserFactory().username for _ in range(20)]
    data = csv_bytes(DEAL_HEADERS, generated_rows(20000, [s.name for s in stages], owners), delimiter=";")
    job = services.import_job_create(user=admin, kind="deals", file_name="big.csv", data=data)
    services.import_check(job=job)
    pr = cProfile.Profile(); pr.enable()
    with django_capture_on_commit_callbacks(execute=True):
        services.import_job_start(job=job, user=admin, valid_only=False, on_match="update")
    pr.disable()
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(35); print(s.getvalue()[:9000])
