"""One module per `orderdesk` subcommand; `common.py` holds the shared options."""
