from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0007_list_sort_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="deal",
            index=models.Index(fields=["status", "id"], name="deal_status_id_idx"),
        ),
    ]
