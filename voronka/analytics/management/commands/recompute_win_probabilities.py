from django.core.management.base import BaseCommand, CommandError

from voronka.analytics.win_probability import recompute_win_probabilities
from voronka.pipeline.models import Pipeline


class Command(BaseCommand):
    help = "Recompute the cached win probability (and its note) of every open deal."

    def add_arguments(self, parser):
        parser.add_argument("--pipeline", type=int, default=None, help="Only this pipeline id.")

    def handle(self, *args, **options):
        pipeline = None
        if options["pipeline"] is not None:
            pipeline = Pipeline.objects.filter(pk=options["pipeline"]).first()
            if pipeline is None:
                raise CommandError(f"No pipeline with id {options['pipeline']}.")
        updated = recompute_win_probabilities(pipeline)
        self.stdout.write(self.style.SUCCESS(f"Updated {updated} open deals."))
