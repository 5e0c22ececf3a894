from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0005_list_sort_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="company",
            index=models.Index(fields=["updated_at"], name="company_updated_at_idx"),
        ),
    ]
