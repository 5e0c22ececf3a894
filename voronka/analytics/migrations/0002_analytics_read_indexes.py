"""Covering indexes for the analytics pages that read deals directly (issue 10).

Inflow, channels and repeat purchases group hundreds of thousands of deals at 1M; through the
single-column indexes every row cost a random heap read (4 s for one inflow query). These
indexes hold every column those queries read, so PostgreSQL answers them with index-only
scans and SQLite with covering-index scans, in the order the window and range need:

- cohort: the period's deals by first contact (inflow cohorts, channels, the carried load);
- closing: deals by close moment (inflow's closes per week);
- status: deals of one status by first contact (won cycles of channels, open deals carried);
- wins: each company's wins in order (repeat purchases' window, no sort);
- company type: the customer type channels joins to each deal.

They belong to the analytics reads, not to the deal model, so they live here as plain SQL
(the same statement on both databases); the model state is unchanged.
"""

from django.db import migrations

INDEXES = {
    "analytics_deal_cohort": (
        "pipeline_deal",
        "pipeline_id, first_contact_at, owner_id, status, closed_at, lead_source_id, "
        "is_returning_customer, company_id, amount, id",
    ),
    "analytics_deal_closing": (
        "pipeline_deal",
        "pipeline_id, closed_at, owner_id, first_contact_at, id",
    ),
    "analytics_deal_status": (
        "pipeline_deal",
        "pipeline_id, status, first_contact_at, owner_id, lead_source_id, closed_at, id",
    ),
    "analytics_deal_wins": (
        "pipeline_deal",
        "pipeline_id, status, company_id, closed_at, id, first_contact_at, owner_id",
    ),
    "analytics_company_type": ("crm_company", "id, customer_type"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_stage_day_summary"),
        ("pipeline", "0005_deal_list_sort_indexes"),
        ("crm", "0003_company_custom_fields"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, (table, columns) in INDEXES.items()
    ]
