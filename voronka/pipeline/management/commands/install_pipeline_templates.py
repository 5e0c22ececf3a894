from django.core.management.base import BaseCommand

from voronka.pipeline.blueprints import (
    BLUEPRINTS,
    DEFAULT_LOST_REASONS,
    pipeline_create_from_blueprint,
)
from voronka.pipeline.models import LostReason, Pipeline


class Command(BaseCommand):
    help = "Install the seed pipelines (B2B sales, AIDA) and common lost reasons when missing."

    def handle(self, *args, **options):
        has_default = Pipeline.objects.filter(is_default=True).exists()
        for key, blueprint in BLUEPRINTS.items():
            if Pipeline.objects.filter(name=blueprint.name).exists():
                self.stdout.write(f"Pipeline «{blueprint.name}» already exists.")
                continue
            pipeline_create_from_blueprint(blueprint, is_default=not has_default and key == "b2b")
            self.stdout.write(self.style.SUCCESS(f"Installed pipeline «{blueprint.name}»."))
        for order, name in enumerate(DEFAULT_LOST_REASONS):
            LostReason.objects.get_or_create(name=name, defaults={"order": order})
