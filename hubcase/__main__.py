"""``python -m hubcase`` runs the command line."""
import sys

from hubcase.cli import main

sys.exit(main())
