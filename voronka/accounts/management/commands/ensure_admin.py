import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from voronka.accounts.models import Role, User


class Command(BaseCommand):
    help = "Create the first administrator (once) and print its login and password."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options):
        username = options["username"]
        # Kept beside the SQLite file (git-ignored) so the run command can print it again.
        password_file = Path(settings.BASE_DIR) / "var" / f"{username}-password.txt"
        user = User.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(
                username=username,
                password=password,
                email=f"{username}@localhost",
                role=Role.ADMIN,
                first_name="Администратор",
            )
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password)
            password_file.chmod(0o600)
        elif password_file.exists() and user.check_password(password_file.read_text().strip()):
            password = password_file.read_text().strip()
        else:
            self.stdout.write(
                f"Administrator «{username}» exists; its password was changed "
                f"(reset it with: manage.py changepassword {username})."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(f"Administrator login: {username}  password: {password}")
        )
