"""``python -m losscli`` runs the command-line interface."""

from losscli.cli.main import run

run()
