from __future__ import annotations

from django.core.management.base import BaseCommand

from sijill.accounts.demo import create_demo_users


class Command(BaseCommand):
    help = "Create or reset one demo user per role and print their user names and passwords."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Give every demo user this password (default: a random one each).")

    def handle(self, *args, password=None, **options):
        users = create_demo_users(password)
        width = max(len(u.username) for u in users)
        self.stdout.write(f"{'user'.ljust(width)}  {'password'.ljust(12)}  role")
        for u in users:
            scope = f" ({', '.join(u.governorates)})" if u.governorates else ""
            self.stdout.write(f"{u.username.ljust(width)}  {u.password.ljust(12)}  {u.role}{scope}")
