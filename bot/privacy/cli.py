"""`aiguillage purge`, `aiguillage export ADDRESS`, `aiguillage keys rotate`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from bot.channels.registry import parse_address
from bot.config import load_settings
from bot.privacy.access import export_person
from bot.privacy.keys import rotate_keys
from bot.privacy.retention import parse_days, purge
from bot.store.db import in_session


def add_privacy_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `purge`, `export` and `keys rotate`."""
    purging = subparsers.add_parser("purge", help="delete data older than the retention")
    purging.add_argument("--older-than", help="e.g. 180d (default: RETENTION_DAYS)")
    purging.set_defaults(func=run_purge)
    export = subparsers.add_parser("export", help="a person's data as JSON (right of access)")
    export.add_argument("address", help="+33612345678 or telegram:12345")
    export.set_defaults(func=run_export)
    keys = subparsers.add_parser("keys", help="encryption keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser(
        "rotate", help="re-encrypt every address with SECRET_KEY (see README)"
    ).set_defaults(func=run_rotate)


def run_purge(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        days = parse_days(args.older_than) if args.older_than else settings.retention_days
    except ValueError as error:
        print(f"aiguillage: {error}", file=sys.stderr)
        return 2
    purged = in_session(settings, lambda session, _: purge(session, datetime.now(UTC), days))
    print(f"purge (older than {days} days): {purged}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    try:
        address = parse_address(args.address)
    except ValueError as error:
        print(f"aiguillage: {error}", file=sys.stderr)
        return 2
    found = in_session(load_settings(), lambda s, cipher: export_person(s, cipher, address))
    if found is None:
        print("aiguillage: nothing is stored for this address", file=sys.stderr)
        return 1
    print(json.dumps(found, ensure_ascii=False, indent=2))
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    rotated = in_session(load_settings(), rotate_keys)
    print(f"re-encrypted {rotated.contacts} contact(s) and {rotated.outbox} outbox row(s)")
    return 0
